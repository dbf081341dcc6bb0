// The shell: login gate, the menu the caller's permissions allow, the language and zone switches, the routes.
import { Button, Layout, Menu, Result, Select, Space, Spin, Typography } from "antd";
import { lazy, type ReactNode, Suspense, useEffect, useMemo, useState } from "react";
import { Link, Navigate, Route, Routes, useLocation, useNavigate } from "react-router-dom";
import { api } from "./api";
import { MeContext, ProblemAlert } from "./components";
import { setUserZone, userZone } from "./format";
import { useLanguage, useT } from "./i18n";
import { AuditPage } from "./pages/audit";
// The pages with charts come in chunks of their own, with ECharts: a hospital's phone never loads them.
const DashboardPage = lazy(() => import("./pages/dashboard").then((m) => ({ default: m.DashboardPage })));
const MySalesPage = lazy(() => import("./pages/mysales").then((m) => ({ default: m.MySalesPage })));
const AgingPage = lazy(() => import("./pages/aging").then((m) => ({ default: m.AgingPage })));
import { LoginPage, OidcCallback } from "./pages/login";
import { ContractPage, ContractsPage, CustomersPage, NewOrderPage, NewQuotePage, OrderPage, OrdersPage, QuotePage, QuotesPage } from "./pages/orders";
import { AcceptancePage, RecallNoticesPage, SelloutReportsPage, SelloutUploadPage } from "./pages/portal";
import { RecallCasePage, RecallLookupPage, RecallsPage } from "./pages/recalls";
import { DunningPage, InvoicesPage, PaymentsPage, StatementPage } from "./pages/finance";
import { BankStatementPage } from "./pages/bank";
import { ChannelStockPage, MyRebatesPage } from "./pages/distributor";
import { PickingPage, QualityPage, ReceivingPage, ReturnsPage, StockPage } from "./pages/warehouse";
import { clearSession, isPortal, type Me, token } from "./session";

interface Entry { path: string; label: string; permission: string; portal?: "hospital" | "distributor" | "portal" | "staff"; element: ReactNode }

function entries(t: (k: string) => string): Entry[] {
  return [
    { path: "/acceptance", label: t("acceptance"), permission: "shipment:accept", portal: "hospital", element: <AcceptancePage /> },
    { path: "/orders", label: t("orders"), permission: "order:read", element: <OrdersPage /> },
    { path: "/quotes", label: t("quotes"), permission: "quote:manage", portal: "staff", element: <QuotesPage /> },
    { path: "/contracts", label: t("contracts"), permission: "contract:read", portal: "staff", element: <ContractsPage /> },
    { path: "/customers", label: t("customers"), permission: "hospital:read", portal: "staff", element: <CustomersPage /> },
    { path: "/recalls/lookup", label: t("recallLookup"), permission: "recall:lookup", element: <RecallLookupPage /> },
    { path: "/recalls", label: t("recallCases"), permission: "recall:read", element: <RecallsPage /> },
    { path: "/my-sales", label: t("mySales"), permission: "analytics:read", portal: "portal", element: <MySalesPage /> },
    { path: "/my-stock", label: t("myStock"), permission: "sellout:read", portal: "distributor", element: <ChannelStockPage /> },
    { path: "/my-rebates", label: t("myRebates"), permission: "rebate:read-own", portal: "distributor", element: <MyRebatesPage /> },
    { path: "/recall-notices", label: t("recallNotices"), permission: "recall:read-notices", element: <RecallNoticesPage /> },
    { path: "/dashboard", label: t("dashboard"), permission: "rebate:read", portal: "staff", element: <DashboardPage /> },
    { path: "/sellout/upload", label: t("selloutUpload"), permission: "sellout:submit", element: <SelloutUploadPage /> },
    { path: "/sellout/reports", label: t("selloutReports"), permission: "sellout:read", element: <SelloutReportsPage /> },
    { path: "/channel-stock", label: t("channelStock"), permission: "sellout:read", portal: "staff", element: <ChannelStockPage /> },
    { path: "/finance/invoices", label: t("invoices"), permission: "invoice:read", element: <InvoicesPage /> },
    { path: "/finance/statements", label: t("statements"), permission: "invoice:read", element: <StatementPage /> },
    { path: "/finance/payments", label: t("payments"), permission: "payment:record", element: <PaymentsPage /> },
    { path: "/finance/bank-statements", label: t("bankStatements"), permission: "payment:record", element: <BankStatementPage /> },
    { path: "/finance/aging", label: t("aging"), permission: "payment:record", element: <AgingPage /> },
    { path: "/finance/dunning", label: t("dunning"), permission: "payment:record", element: <DunningPage /> },
    { path: "/warehouse/picking", label: t("picking"), permission: "fulfilment:pick", element: <PickingPage /> },
    { path: "/warehouse/stock", label: t("stock"), permission: "stock:read", portal: "staff", element: <StockPage /> },
    { path: "/warehouse/receiving", label: t("receipts"), permission: "stock:receive", element: <ReceivingPage /> },
    { path: "/warehouse/quality", label: t("quality"), permission: "quality:inspect", element: <QualityPage /> },
    { path: "/warehouse/returns", label: t("returns"), permission: "return:read", portal: "staff", element: <ReturnsPage /> },
    { path: "/audit", label: t("audit"), permission: "audit:read", element: <AuditPage /> },
  ];
}

function allowed(me: Me, entry: Entry): boolean {
  if (!me.permissions.includes(entry.permission)) return false;
  const portal = isPortal(me);
  if (entry.portal === "staff") return portal === null;
  if (entry.portal === "hospital") return portal === "hospital";
  if (entry.portal === "distributor") return portal === "distributor";
  if (entry.portal === "portal") return portal !== null;
  return true;
}

const ZONES = ["Asia/Shanghai", "Asia/Hong_Kong", "Asia/Urumqi", "Asia/Tokyo", "Europe/Berlin", "America/New_York", "UTC"];

function Shell({ me }: { me: Me }) {
  const t = useT();
  const { language, setLanguage } = useLanguage();
  const location = useLocation();
  const navigate = useNavigate();
  const [zone, setZone] = useState(userZone());
  const [collapsed, setCollapsed] = useState(window.innerWidth < 700);
  const visible = entries(t).filter((e) => allowed(me, e));
  const selected = visible.map((e) => e.path).filter((p) => location.pathname.startsWith(p)).sort((a, b) => b.length - a.length)[0];
  const portal = isPortal(me);
  return (
    <Layout style={{ minHeight: "100vh" }}>
      <Layout.Sider collapsible collapsed={collapsed} onCollapse={setCollapsed} breakpoint="md" collapsedWidth={0} width={200}>
        <div style={{ color: "#fff", padding: "16px", fontWeight: 600 }}>{t("app")}</div>
        <Menu theme="dark" mode="inline" selectedKeys={selected ? [selected] : []}
          items={visible.map((e) => ({ key: e.path, label: <Link to={e.path}>{e.label}</Link> }))} />
      </Layout.Sider>
      <Layout>
        <Layout.Header style={{ background: "#fff", padding: "0 16px", display: "flex", justifyContent: "flex-end", alignItems: "center", gap: 12, flexWrap: "wrap", height: "auto", minHeight: 64 }}>
          <Typography.Text data-testid="whoami">{me.name} · {me.roles.join(", ")}{portal ? ` · ${t(portal === "hospital" ? "hospitalPortal" : "distributorPortal")}` : ""}</Typography.Text>
          <Select aria-label={t("language")} value={language} style={{ width: 100 }} onChange={setLanguage}
            options={[{ value: "zh", label: "中文" }, { value: "en", label: "English" }]} />
          <Select aria-label={t("timezone")} value={zone} style={{ width: 160 }} onChange={(z) => { setUserZone(z); setZone(z); }}
            options={ZONES.map((z) => ({ value: z, label: z }))} />
          <Button onClick={() => { clearSession(); navigate("/login"); }}>{t("logout")}</Button>
        </Layout.Header>
        {/* Ant Design renders the content as the page's <main> landmark. */}
        <Layout.Content style={{ padding: 24 }} key={zone + language}>
            <Suspense fallback={<Spin />}>
            <Routes>
              <Route path="/" element={<Navigate to={visible[0]?.path ?? "/login"} replace />} />
              {visible.map((e) => <Route key={e.path} path={e.path} element={e.element} />)}
              {me.permissions.includes("order:read") && <Route path="/orders/:orderId" element={<OrderPage />} />}
              {me.permissions.includes("order:place") && <Route path="/orders/new" element={<NewOrderPage />} />}
              {me.permissions.includes("quote:manage") && <Route path="/quotes/new" element={<NewQuotePage />} />}
              {me.permissions.includes("quote:read") && <Route path="/quotes/:quoteId" element={<QuotePage />} />}
              {me.permissions.includes("contract:read") && <Route path="/contracts/:contractId" element={<ContractPage />} />}
              {me.permissions.includes("recall:read") && <Route path="/recalls/:recallId" element={<RecallCasePage />} />}
              {me.permissions.includes("fulfilment:pick") && <Route path="/warehouse/picking/:orderId" element={<PickingPage />} />}
              {me.permissions.includes("payment:record") && <Route path="/finance/bank-statements/:statementId" element={<BankStatementPage />} />}
              <Route path="*" element={<Result status="403" title={t("noPermission")} extra={<Link to="/">{t("backHome")}</Link>} />} />
            </Routes>
            </Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}

export function App() {
  const location = useLocation();
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<unknown>();
  const bearer = token();
  useEffect(() => {
    if (!bearer || me) return;
    api<Me>("session/me").then(setMe).catch(setError);
  }, [bearer, me]);
  const publicPage = useMemo(() => location.pathname === "/login" || location.pathname === "/auth/callback", [location.pathname]);
  if (location.pathname === "/auth/callback") return <OidcCallback onDone={() => setMe(null)} />;
  if (location.pathname === "/login" || !bearer) {
    if (!publicPage) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
    return <LoginPage onLogin={() => setMe(null)} />;
  }
  if (error) return <div style={{ padding: 24 }}><ProblemAlert error={error} /></div>;
  if (!me) return <div style={{ padding: 48, textAlign: "center" }}><Spin /></div>;
  return <MeContext.Provider value={me}><Shell me={me} /></MeContext.Provider>;
}
