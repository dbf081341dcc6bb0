// The order desk: customers, quote → contract → order with the system's price explanations and the checks placing
// would make, holds and their release, and the order 360 (lines, status, shipments, invoices, returns).
import { Button, Card, DatePicker, Descriptions, Form, Input, InputNumber, Modal, Select, Space, Table, Tabs, Tag, Typography, message } from "antd";
import type { TableColumnsType } from "antd";
import { useMemo, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router-dom";
import { api, newKey, type Page } from "../api";
import { DownloadButton, Json, Money, Named, PagedTable, ProblemAlert, StatusTag, TONE, useDirectory, useLoad, useMe } from "../components";
import { dateTime, dayjs, today } from "../format";
import { useLanguage, useT } from "../i18n";
import { can } from "../session";

type Row = Record<string, any>;

export function CustomersPage() {
  const t = useT();
  return (
    <>
      <Typography.Title level={2} className="page-title">{t("customers")}</Typography.Title>
      <Tabs items={[
        { key: "h", label: t("hospitals"), children: <PagedTable<Row> path="channel/hospitals" rowKey="hospital_id"
            filters={<Form.Item name="name" label={t("name")}><Input allowClear /></Form.Item>}
            columns={[{ title: t("name"), dataIndex: "name" }, { title: t("province"), dataIndex: "province" },
              { title: t("city"), dataIndex: "city" }, { title: t("grade"), dataIndex: "grade" },
              { title: t("id"), dataIndex: "hospital_id", render: (id) => <Typography.Text copyable code>{id}</Typography.Text> }]} /> },
        { key: "d", label: t("distributors"), children: <PagedTable<Row> path="channel/distributors" rowKey="distributor_id"
            filters={<Form.Item name="name" label={t("name")}><Input allowClear /></Form.Item>}
            columns={[{ title: t("name"), dataIndex: "name" }, { title: t("region"), dataIndex: "region" },
              { title: t("tier"), dataIndex: "tier" }, { title: t("status"), dataIndex: "status" },
              { title: t("id"), dataIndex: "distributor_id", render: (id) => <Typography.Text copyable code>{id}</Typography.Text> }]} /> },
      ]} />
    </>
  );
}

/** Hospitals and distributors for a picker: name shown, id kept. */
function useCustomers(kinds: ("hospitals" | "distributors")[]) {
  return useLoad(async () => {
    const options: { value: string; label: string; kind: string }[] = [];
    for (const kind of kinds) {
      const page = await api<Page<Row>>(`channel/${kind}`, { query: { limit: 500 } });
      options.push(...page.items.map((r) => ({ value: r[`${kind.slice(0, -1)}_id`], label: r.name, kind })));
    }
    return options;
  }, [kinds.join()]);
}

function useItems() {
  return useLoad(() => api<Page<Row>>("inventory/items", { query: { limit: 500 } })
    .then((p) => p.items.map((i) => ({ value: i.gtin, label: `${i.gtin} ${i.name ?? ""}` }))), []);
}

/** How the rulebook found a price (shared/domain/pricing.py): the list price, the rule that won, the ceiling and
 * floor in force, and every rule considered with why it did not apply. Other shapes are shown as they are. */
function PriceExplanation({ explanation }: { explanation: unknown }) {
  const t = useT();
  if (!explanation) return <span>—</span>;
  const e = explanation as Row;
  if (!Array.isArray(e.considered)) return <Json value={explanation} />;
  const facts: [string, unknown][] = [
    [t("price"), e.price !== undefined ? <Money value={e.price} /> : null], [t("x_source"), e.source],
    [t("x_list"), e.list_price != null ? <Money value={e.list_price} /> : null], [t("x_winner"), e.winner],
    [t("x_award"), e.award != null ? <Money value={e.award} /> : null],
    [t("x_ceiling"), e.ceiling != null ? <Money value={e.ceiling} /> : null], [t("x_capped"), e.capped ? "✓" : null],
    [t("x_floor"), e.floor != null ? <span><Money value={e.floor} /> {e.floor_rule ?? ""}</span> : null],
    [t("x_floored"), e.floored ? "✓" : null], [t("x_free_units"), e.free_units || null],
  ];
  return (
    <div data-testid="price-explanation">
      <Descriptions size="small" column={{ xs: 1, md: 3 }} items={facts.filter(([, v]) => v !== null && v !== undefined)
        .map(([label, value]) => ({ label, children: value as never }))} />
      <Table<Row> size="small" rowKey="rule_id" dataSource={e.considered} pagination={false}
        columns={[{ title: t("x_rule"), dataIndex: "rule_id" }, { title: t("name"), dataIndex: "name" },
          { title: t("x_priority"), dataIndex: "priority", align: "right" },
          { title: t("x_matched"), dataIndex: "matched", render: (m) => m ? <Tag color={TONE.green}>✓</Tag> : "✕" },
          { title: t("x_why_not"), dataIndex: "why_not", render: (w) => w ?? "—" }]} />
    </div>
  );
}

function lineColumns(t: (k: string) => string, currency = "CNY"): TableColumnsType<Row> {
  return [
    { title: "#", dataIndex: "line_no", width: 48 },
    { title: t("gtin"), dataIndex: "gtin" },
    { title: t("quantity"), dataIndex: "quantity", align: "right" },
    { title: t("unitPrice"), dataIndex: "gross_unit_price", align: "right", render: (v, r) => <Money value={v ?? r.unit_price} currency={currency} /> },
    { title: t("netUnitPrice"), dataIndex: "net_unit_price", align: "right", render: (v, r) => <Money value={v ?? r.unit_price} currency={currency} /> },
    { title: t("priceSource"), dataIndex: "price_source", render: (v) => v ? <Tag>{v}</Tag> : "—" },
  ];
}

// ---------------------------------------------------------------- quotes

export function QuotesPage() {
  const t = useT();
  const navigate = useNavigate();
  return (
    <>
      <Space style={{ width: "100%", justifyContent: "space-between" }}>
        <Typography.Title level={2} className="page-title">{t("quotes")}</Typography.Title>
        <Button type="primary" onClick={() => navigate("/quotes/new")}>{t("newQuote")}</Button>
      </Space>
      <PagedTable<Row> path="order/quotes" rowKey="quote_id" testId="quotes"
        filters={<Form.Item name="status" label={t("status")}><Select allowClear style={{ width: 140 }}
          options={["draft", "submitted", "approved", "rejected", "sent", "accepted", "expired"].map((s) => ({ value: s, label: s }))} /></Form.Item>}
        columns={[
          { title: t("quote"), dataIndex: "number", render: (n, r) => <Link to={`/quotes/${r.quote_id}`}>{n}</Link> },
          { title: t("customer"), dataIndex: "customer_name", render: (n, r) => <Named name={n} id={r.customer_id} /> },
          { title: t("status"), dataIndex: "status", render: (s) => <StatusTag value={s} /> },
          { title: t("total"), dataIndex: "total_gross", align: "right", render: (v, r) => <Money value={v} currency={r.currency} /> },
          { title: t("validUntil"), dataIndex: "valid_until" },
          { title: t("updatedAt"), dataIndex: "updated_at", render: dateTime },
        ]} />
    </>
  );
}

interface LineForm { gtin: string; quantity: number; unit_price?: string }

export function NewQuotePage() {
  const t = useT();
  const navigate = useNavigate();
  const customers = useCustomers(["hospitals", "distributors"]);
  const items = useItems();
  const [key] = useState(newKey);  // one key per form: a double click or a retry records one quote
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (values: { customer_id: string; valid_until: dayjs.Dayjs; note?: string; lines: LineForm[] }) => {
    setBusy(true);
    setError(undefined);
    try {
      const quote = await api<Row>("order/quotes", { idempotencyKey: key, body: {
        customer_id: values.customer_id, valid_until: values.valid_until.format("YYYY-MM-DD"), note: values.note || undefined,
        lines: values.lines.map((l) => ({ gtin: l.gtin, quantity: l.quantity, unit_price: l.unit_price || undefined })) } });
      navigate(`/quotes/${quote.quote_id}`);
    } catch (e) { setError(e); } finally { setBusy(false); }
  };
  return (
    <Card title={t("newQuote")}>
      <ProblemAlert error={error ?? customers.error} />
      <Form layout="vertical" onFinish={submit} initialValues={{ valid_until: dayjs().add(30, "day"), lines: [{ quantity: 1 }] }}>
        <Form.Item name="customer_id" label={t("customer")} rules={[{ required: true }]}>
          <Select showSearch optionFilterProp="label" options={customers.data ?? []} aria-label={t("customer")} />
        </Form.Item>
        <Form.Item name="valid_until" label={t("validUntil")} rules={[{ required: true }]}><DatePicker /></Form.Item>
        <LinesInput items={items.data ?? []} withPrice />
        <Form.Item name="note" label={t("x_note")}><Input.TextArea rows={2} /></Form.Item>
        <Button type="primary" htmlType="submit" loading={busy}>{t("save")}</Button>
      </Form>
    </Card>
  );
}

function LinesInput({ items, withPrice }: { items: { value: string; label: string }[]; withPrice?: boolean }) {
  const t = useT();
  return (
    <Form.List name="lines">
      {(fields, { add, remove }) => <>
        {fields.map((field, n) => (
          <Space key={field.key} align="baseline" wrap>
            <Form.Item name={[field.name, "gtin"]} label={`${t("gtin")} ${n + 1}`} rules={[{ required: true }]}>
              <Select showSearch optionFilterProp="label" options={items} style={{ width: 320 }} aria-label={`${t("gtin")} ${n + 1}`} />
            </Form.Item>
            <Form.Item name={[field.name, "quantity"]} label={t("quantity")} rules={[{ required: true }]}>
              <InputNumber min={1} max={100000} aria-label={`${t("quantity")} ${n + 1}`} />
            </Form.Item>
            {withPrice && <Form.Item name={[field.name, "unit_price"]} label={t("unitPrice")} tooltip={t("rulebookPrice")}>
              <Input placeholder={t("rulebookPrice")} style={{ width: 180 }} aria-label={`${t("unitPrice")} ${n + 1}`} />
            </Form.Item>}
            {fields.length > 1 && <Button onClick={() => remove(field.name)}>{t("remove")}</Button>}
          </Space>
        ))}
        <Form.Item><Button onClick={() => add({ quantity: 1 })}>{t("addLine")}</Button></Form.Item>
      </>}
    </Form.List>
  );
}

export function QuotePage() {
  const t = useT();
  const me = useMe();
  const { language } = useLanguage();
  const navigate = useNavigate();
  const { quoteId } = useParams();
  const quote = useLoad(() => api<Row>(`order/quotes/${quoteId}`), [quoteId]);
  const name = useDirectory();
  const [error, setError] = useState<unknown>();
  const [contractOpen, setContractOpen] = useState(false);
  const step = async (name: string, body?: unknown) => {
    setError(undefined);
    try { await api(`order/quotes/${quoteId}/${name}`, { method: "POST", body }); quote.reload(); } catch (e) { setError(e); }
  };
  const q = quote.data;
  return (
    <Card title={`${t("quote")} ${q?.number ?? ""}`} loading={quote.loading && !q}>
      <ProblemAlert error={quote.error ?? error} />
      {q && <>
        <Descriptions bordered size="small" column={{ xs: 1, md: 2 }} items={[
          { label: t("status"), children: <span data-testid="quote-status"><StatusTag value={q.status} /></span> },
          { label: t("customer"), children: <Named id={q.customer_id} name={name(q.customer_id)} /> },
          { label: t("total"), children: <Money value={q.total} currency={q.currency} /> },
          { label: t("validUntil"), children: q.valid_until },
          ...(q.approval_reasons?.length ? [{ label: t("reason"), children: q.approval_reasons.join("; ") }] : []),
        ]} />
        <Table<Row> style={{ marginTop: 16 }} size="small" rowKey="line_no" dataSource={q.lines} pagination={false}
          scroll={{ x: "max-content" }} columns={[...lineColumns(t, q.currency),
            { title: t("amount"), dataIndex: "amount", align: "right", render: (v) => <Money value={v} currency={q.currency} /> }]}
          expandable={{ expandedRowRender: (r) => <PriceExplanation explanation={r.price_explanation} />, rowExpandable: (r) => !!r.price_explanation }} />
        <Space wrap style={{ marginTop: 16 }}>
          {q.status === "draft" && can(me, "quote:manage") && <Button type="primary" onClick={() => step("submit")}>{t("submit")}</Button>}
          {q.status === "submitted" && can(me, "price:approve") && <>
            <Button onClick={() => step("approve", { reason: "approved in the console" })}>{t("approve")}</Button>
            <Button danger onClick={() => step("reject", { reason: "rejected in the console" })}>{t("reject")}</Button></>}
          {q.status === "approved" && can(me, "quote:manage") && <Button type="primary" onClick={() => step("send")}>{t("send")}</Button>}
          {q.status === "sent" && can(me, "quote:manage") && <Button type="primary" onClick={() => step("accept")}>{t("accept")}</Button>}
          {q.status === "accepted" && can(me, "contract:manage") && <Button type="primary" onClick={() => setContractOpen(true)}>{t("draftContract")}</Button>}
          <DownloadButton path={`order/quotes/${quoteId}/pdf`} query={{ lang: language }} name={`${q.number}.pdf`} label={`PDF ${t("download")}`} />
        </Space>
        <DraftContract open={contractOpen} quoteId={quoteId!} onClose={() => setContractOpen(false)}
          onDone={(id) => navigate(`/contracts/${id}`)} />
      </>}
    </Card>
  );
}

function DraftContract({ open, quoteId, onClose, onDone }: { open: boolean; quoteId: string; onClose: () => void; onDone: (id: string) => void }) {
  const t = useT();
  const [form] = Form.useForm();
  const [key] = useState(newKey);
  const [error, setError] = useState<unknown>();
  return (
    <Modal open={open} title={t("draftContract")} onCancel={onClose} onOk={() => form.submit()} okText={t("save")}>
      <ProblemAlert error={error} />
      <Form form={form} layout="vertical" initialValues={{ valid_from: dayjs(), valid_to: dayjs().add(364, "day") }}
        onFinish={async (v) => {
          try {
            const contract = await api<Row>("order/contracts", { idempotencyKey: key, body: { template: "framework", from_quote_id: quoteId,
              valid_from: v.valid_from.format("YYYY-MM-DD"), valid_to: v.valid_to.format("YYYY-MM-DD") } });
            onDone(contract.contract_id);
          } catch (e) { setError(e); }
        }}>
        <Form.Item name="valid_from" label={t("validFrom")} rules={[{ required: true }]}><DatePicker /></Form.Item>
        <Form.Item name="valid_to" label={t("validTo")} rules={[{ required: true }]}><DatePicker /></Form.Item>
      </Form>
    </Modal>
  );
}

// ---------------------------------------------------------------- contracts

export function ContractsPage() {
  const t = useT();
  return (
    <>
      <Typography.Title level={2} className="page-title">{t("contracts")}</Typography.Title>
      <PagedTable<Row> path="order/contracts" rowKey="contract_id"
        filters={<Form.Item name="status" label={t("status")}><Select allowClear style={{ width: 140 }}
          options={["draft", "signed", "active", "terminated", "expired"].map((s) => ({ value: s, label: s }))} /></Form.Item>}
        columns={[
          { title: t("contract"), dataIndex: "number", render: (n, r) => <Link to={`/contracts/${r.contract_id}`}>{n}</Link> },
          { title: t("customer"), dataIndex: "customer_name", render: (n, r) => <Named name={n} id={r.customer_id} /> },
          { title: t("status"), dataIndex: "status", render: (s) => <StatusTag value={s} /> },
          { title: t("validFrom"), dataIndex: "valid_from" }, { title: t("validTo"), dataIndex: "valid_to" },
          { title: t("lineCount"), dataIndex: "line_count", align: "right" },
        ]} />
    </>
  );
}

export function ContractPage() {
  const t = useT();
  const me = useMe();
  const navigate = useNavigate();
  const { contractId } = useParams();
  const contract = useLoad(() => api<Row>(`order/contracts/${contractId}`), [contractId]);
  const name = useDirectory();
  const [error, setError] = useState<unknown>();
  const c = contract.data;
  return (
    <Card title={`${t("contract")} ${c?.number ?? ""}`} loading={contract.loading && !c}>
      <ProblemAlert error={contract.error ?? error} />
      {c && <>
        <Descriptions bordered size="small" column={{ xs: 1, md: 2 }} items={[
          { label: t("status"), children: <span data-testid="contract-status"><StatusTag value={c.status} /></span> },
          { label: t("customer"), children: <Named id={c.customer_id} name={name(c.customer_id)} /> },
          { label: t("title"), children: c.title },
          { label: t("validFrom"), children: `${c.terms?.valid_from ?? ""} – ${c.terms?.valid_to ?? ""}` },
        ]} />
        <Table<Row> style={{ marginTop: 16 }} size="small" rowKey="gtin" dataSource={c.consumption ?? []} pagination={false}
          columns={[{ title: t("gtin"), dataIndex: "gtin" }, { title: t("unitPrice"), dataIndex: "unit_price", render: (v) => <Money value={v} /> },
            { title: t("x_committed"), dataIndex: "committed", align: "right" }, { title: t("x_ordered"), dataIndex: "ordered", align: "right" },
            { title: t("shipped"), dataIndex: "shipped", align: "right" }]} />
        <Space style={{ marginTop: 16 }}>
          {c.status === "draft" && can(me, "contract:manage") && <Button type="primary" onClick={async () => {
            setError(undefined);
            try { await api(`order/contracts/${contractId}/sign`, { method: "POST" }); contract.reload(); } catch (e) { setError(e); }
          }}>{t("sign")}</Button>}
          {c.status !== "draft" && can(me, "order:place") && c.customer_kind === "hospital" &&
            <Button type="primary" onClick={() => navigate(`/orders/new?contract=${contractId}&hospital=${c.customer_id}`)}>{t("orderFromContract")}</Button>}
        </Space>
      </>}
    </Card>
  );
}

// ---------------------------------------------------------------- orders

const ORDER_STATUSES = ["on_hold", "placed", "reserved", "partially_reserved", "backordered", "partially_shipped", "shipped", "price_rejected", "cancelled", "closed"];

export function OrdersPage() {
  const t = useT();
  const me = useMe();
  const navigate = useNavigate();
  return (
    <>
      <Space style={{ width: "100%", justifyContent: "space-between" }}>
        <Typography.Title level={2} className="page-title">{t("orders")}</Typography.Title>
        {can(me, "order:place") && <Button type="primary" onClick={() => navigate("/orders/new")}>{t("newOrder")}</Button>}
      </Space>
      <PagedTable<Row> path="order/orders" rowKey="order_id" testId="orders"
        filters={<>
          <Form.Item name="status" label={t("status")}><Select allowClear style={{ width: 150 }} options={ORDER_STATUSES.map((s) => ({ value: s, label: s }))} /></Form.Item>
          <Form.Item name="hold" label={t("holds")}><Select allowClear style={{ width: 150 }} options={["price_approval", "credit", "compliance", "manual"].map((s) => ({ value: s, label: s }))} /></Form.Item>
        </>}
        columns={[
          { title: t("order"), dataIndex: "order_id", render: (id) => <Link to={`/orders/${id}`}>{id.slice(0, 8)}</Link> },
          { title: t("hospital"), dataIndex: "hospital_name", render: (n, r) => <Named name={n} id={r.hospital_id} /> },
          { title: t("distributor"), dataIndex: "distributor_name", render: (n, r) => r.ship_to_distributor_id ? <Named name={n} id={r.ship_to_distributor_id} /> : "—" },
          { title: t("reference"), dataIndex: "customer_reference" },
          { title: t("status"), dataIndex: "status", render: (s, r) => <Space size={2}><StatusTag value={s} />{r.holds?.map((h: string) => <StatusTag key={h} value={h} />)}</Space> },
          { title: t("total_amount"), dataIndex: "total_amount", align: "right", render: (v, r) => <Money value={v} currency={r.currency} /> },
          { title: t("placedAt"), dataIndex: "placed_at", render: dateTime },
        ]} />
    </>
  );
}

export function NewOrderPage() {
  const t = useT();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const hospitals = useCustomers(["hospitals"]);
  const distributors = useCustomers(["distributors"]);
  const items = useItems();
  const [form] = Form.useForm();
  const hospital: string | undefined = Form.useWatch("hospital_id", form);
  const contracts = useLoad(() => hospital ? api<Page<Row>>("order/contracts", { query: { customer_id: hospital, limit: 100 } }) : Promise.resolve(null), [hospital]);
  const [key] = useState(newKey);
  const [checked, setChecked] = useState<Row | null>(null);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  // The delivery day is said explicitly, as the user's today in their zone: left out, a service would judge the
  // contract's validity and shelf life on its own idea of today (early in the morning in China, still yesterday in UTC).
  const initial = useMemo(() => ({ hospital_id: params.get("hospital") ?? undefined, contract_id: params.get("contract") ?? undefined,
    requested_delivery_date: dayjs(today()), lines: [{ quantity: 1 }] }), [params]);
  const body = (v: Row) => ({
    hospital_id: v.hospital_id, ship_to_distributor_id: v.ship_to_distributor_id || undefined, contract_id: v.contract_id || undefined,
    customer_reference: v.customer_reference || undefined, lines: v.lines.map((l: LineForm) => ({ gtin: l.gtin, quantity: l.quantity })),
    requested_delivery_date: v.requested_delivery_date?.format("YYYY-MM-DD"),
  });
  const run = async (place: boolean) => {
    setError(undefined);
    setChecked(null);
    let values: Row;
    try { values = await form.validateFields(); } catch { return; }
    setBusy(true);
    try {
      if (place) {
        const order = await api<Row>("order/orders", { idempotencyKey: key, body: body(values) });
        message.success(t("created"));
        navigate(`/orders/${order.order_id}`);
      } else {
        setChecked(await api<Row>("order/orders/validate", { body: body(values) }));
      }
    } catch (e) { setError(e); } finally { setBusy(false); }
  };
  return (
    <Card title={t("newOrder")}>
      <Form form={form} layout="vertical" initialValues={initial}>
        <Form.Item name="hospital_id" label={t("hospital")} rules={[{ required: true }]}>
          <Select showSearch optionFilterProp="label" options={hospitals.data ?? []} aria-label={t("hospital")} />
        </Form.Item>
        <Form.Item name="ship_to_distributor_id" label={`${t("shipToDistributor")} (${t("optional")})`}>
          <Select allowClear showSearch optionFilterProp="label" options={distributors.data ?? []} aria-label={t("shipToDistributor")} />
        </Form.Item>
        <Form.Item name="contract_id" label={`${t("contract")} (${t("optional")})`}>
          <Select allowClear options={(contracts.data?.items ?? []).map((c) => ({ value: c.contract_id, label: `${c.number} · ${c.status}` }))} aria-label={t("contract")} />
        </Form.Item>
        <Form.Item name="customer_reference" label={`${t("reference")} (${t("optional")})`}><Input /></Form.Item>
        <Form.Item name="requested_delivery_date" label={t("deliveryDate")} rules={[{ required: true }]}><DatePicker /></Form.Item>
        <LinesInput items={items.data ?? []} />
      </Form>
      <ProblemAlert error={error} />
      {checked && <div data-testid="validation" style={{ marginBottom: 16 }}>
        <Typography.Paragraph type={checked.holds?.length ? "warning" : "success"}>
          {t("validationOk")}{checked.holds?.length ? ` — ${t("holds")}: ${checked.holds.join(", ")}` : ""}
        </Typography.Paragraph>
        <Table<Row> size="small" rowKey="line_no" dataSource={checked.lines} pagination={false} scroll={{ x: "max-content" }}
          columns={lineColumns(t, checked.currency)}
          expandable={{ expandedRowRender: (r) => <PriceExplanation explanation={r.price_explanation} />, defaultExpandAllRows: true }} />
      </div>}
      <Space>
        <Button onClick={() => run(false)} loading={busy}>{t("validate")}</Button>
        <Button type="primary" onClick={() => run(true)} loading={busy}>{t("placeOrder")}</Button>
      </Space>
    </Card>
  );
}

const RELEASE_PERMISSION: Record<string, string> = {
  credit: "order:release-credit-hold", compliance: "order:release-compliance-hold", manual: "order:release-manual-hold",
};

export function OrderPage() {
  const t = useT();
  const me = useMe();
  const { orderId } = useParams();
  const order = useLoad(() => api<Row>(`order/orders/${orderId}`), [orderId]);
  const name = useDirectory();
  const [error, setError] = useState<unknown>();
  const [release, setRelease] = useState<string | null>(null);
  const [holdOpen, setHoldOpen] = useState(false);
  const [cancelOpen, setCancelOpen] = useState(false);
  const [amendOpen, setAmendOpen] = useState(false);
  const o = order.data;
  const command = async (path: string, body: unknown) => {
    setError(undefined);
    try { await api(`order/orders/${orderId}/${path}`, { body }); order.reload(); return true; } catch (e) { setError(e); return false; }
  };
  return (
    <Card title={`${t("order")} ${orderId?.slice(0, 8)}`} loading={order.loading && !o}
      extra={can(me, "fulfilment:pick") && <Link to={`/warehouse/picking/${orderId}`}>{t("picking")}</Link>}>
      <ProblemAlert error={order.error ?? error} />
      {o && <>
        <Descriptions bordered size="small" column={{ xs: 1, md: 2 }} items={[
          { label: t("status"), children: <span data-testid="order-status"><StatusTag value={o.status} /></span> },
          { label: t("holds"), children: o.holds.length ? o.holds.map((h: string) => <StatusTag key={h} value={h} />) : "—" },
          { label: t("hospital"), children: <Named id={o.hospital_id} name={name(o.hospital_id)} /> },
          { label: t("distributor"), children: o.ship_to_distributor_id ? <Named id={o.ship_to_distributor_id} name={name(o.ship_to_distributor_id)} /> : "—" },
          { label: t("reference"), children: o.customer_reference ?? "—" },
          { label: t("orderId"), children: <Typography.Text copyable code data-testid="order-id">{o.order_id}</Typography.Text> },
          { label: t("deliveryDate"), children: o.requested_delivery_date ?? "—" },
          { label: t("amendments"), children: <span data-testid="order-amendments">{o.amendments ?? 0}
            {o.pending_amendment && <Tag color={TONE.orange} style={{ marginLeft: 8 }} data-testid="amendment-pending">{t("amendmentPending")}</Tag>}</span> },
        ]} />
        <Space wrap style={{ marginTop: 12 }}>
          {o.holds.map((h: string) => h === "price_approval"
            ? can(me, "price:approve") && <Button key={h} onClick={() => command("price-decision", { decision: "approve", reason: "price approved in the console" })}>{t("approve")} · {h}</Button>
            : can(me, RELEASE_PERMISSION[h]) && <Button key={h} onClick={() => setRelease(h)}>{t("release")} · {h}</Button>)}
          {can(me, "order:hold") && !["shipped", "cancelled", "closed"].includes(o.status) && <Button onClick={() => setHoldOpen(true)}>{t("placeHold")}</Button>}
          {can(me, "order:place") && !["shipped", "cancelled", "closed", "price_rejected"].includes(o.status) && !o.pending_amendment && !o.cancellation_requested &&
            <Button onClick={() => setAmendOpen(true)}>{t("amendOrder")}</Button>}
          {can(me, "order:place") && !["shipped", "cancelled", "closed", "price_rejected"].includes(o.status) && <Button danger onClick={() => setCancelOpen(true)}>{t("cancelOrder")}</Button>}
        </Space>
        <Typography.Title level={3} style={{ fontSize: 16 }}>{t("lines")}</Typography.Title>
        <Table<Row> size="small" rowKey="line_no" dataSource={o.lines} pagination={false} scroll={{ x: "max-content" }}
          columns={[...lineColumns(t, o.currency), { title: t("status"), dataIndex: "status", render: (s) => <StatusTag value={s} /> },
            { title: t("shipped"), dataIndex: "shipped_quantity", align: "right" }]}
          expandable={{ expandedRowRender: (r) => <PriceExplanation explanation={r.price_explanation} />, rowExpandable: (r) => !!r.price_explanation }} />
        {o.hold_history?.length > 0 && <>
          <Typography.Title level={3} style={{ fontSize: 16, marginTop: 16 }}>{t("holdHistory")}</Typography.Title>
          <Table<Row> size="small" rowKey={(r) => JSON.stringify(r)} dataSource={o.hold_history} pagination={false}
            columns={[{ title: t("holds"), dataIndex: "hold" }, { title: t("status"), dataIndex: "placed", render: (p) => p ? "+" : "−" },
              { title: t("reason"), dataIndex: "reason" }, { title: t("by"), dataIndex: "by" }, { title: t("expiresOn"), dataIndex: "expires_on" }]} />
        </>}
        <Typography.Title level={3} style={{ fontSize: 16, marginTop: 16 }}>{t("shipments")}</Typography.Title>
        <Table<Row> size="small" rowKey={(r) => r.shipment_id} dataSource={o.shipments} pagination={false} scroll={{ x: "max-content" }}
          data-testid="shipments"
          columns={[{ title: "ID", dataIndex: "shipment_id", render: (v) => String(v).slice(0, 8) },
            { title: t("carrier"), dataIndex: "carrier" }, { title: t("tracking"), dataIndex: "tracking_number" },
            { title: t("lines"), dataIndex: "lines", render: (lines: Row[]) => (lines ?? []).map((l, i) => <div key={i}>{l.gtin} · {l.lot} · {l.expiry} × {l.quantity}</div>) },
            { title: t("when"), dataIndex: "dispatched_at", render: dateTime },
            { title: t("delivered"), dataIndex: "delivered_at", render: dateTime },
            { title: t("accepted"), dataIndex: "accepted_at", render: (v, r) => v ? `${dateTime(v)} ${r.accepted_by ?? ""}` : "—" }]} />
        <Typography.Title level={3} style={{ fontSize: 16, marginTop: 16 }}>{t("invoices")}</Typography.Title>
        <Table<Row> size="small" rowKey={(r) => r.invoice_id ?? JSON.stringify(r)} dataSource={o.invoices} pagination={false}
          columns={[{ title: t("invoice"), dataIndex: "invoice_id", render: (v) => String(v).slice(0, 8) },
            { title: t("total"), dataIndex: "gross_total", align: "right", render: (v, r) => <Money value={v} currency={r.currency} /> },
            { title: t("issuedOn"), dataIndex: "raised_at", render: dateTime }]} />
        {o.returns?.length > 0 && <>
          <Typography.Title level={3} style={{ fontSize: 16, marginTop: 16 }}>{t("returns")}</Typography.Title>
          <Json value={o.returns} />
        </>}
      </>}
      <ReasonModal open={release !== null} title={`${t("release")} · ${release ?? ""}`} withExpiry={release === "credit"}
        onClose={() => setRelease(null)}
        onSubmit={async (v) => { if (await command(`holds/${release}/release`, v)) setRelease(null); }} />
      {o && <AmendModal open={amendOpen} order={o} onClose={() => setAmendOpen(false)} onDone={() => { setAmendOpen(false); order.reload(); }} />}
      <ReasonModal open={cancelOpen} title={t("cancelOrder")} onClose={() => setCancelOpen(false)}
        onSubmit={async (v) => { if (await command("cancel", { reason: v.reason })) setCancelOpen(false); }} />
      <ReasonModal open={holdOpen} title={t("placeHold")} onClose={() => setHoldOpen(false)}
        onSubmit={async (v) => { if (await command("holds", { hold: "manual", reason: v.reason })) setHoldOpen(false); }} />
    </Card>
  );
}

function ReasonModal({ open, title, withExpiry, onClose, onSubmit }: { open: boolean; title: string; withExpiry?: boolean; onClose: () => void; onSubmit: (v: { reason: string; expires_on?: string }) => void }) {
  const t = useT();
  const [form] = Form.useForm();
  return (
    <Modal open={open} title={title} onCancel={onClose} onOk={() => form.submit()} okText={t("confirm")} destroyOnHidden>
      <Form form={form} layout="vertical" onFinish={(v) => onSubmit({ reason: v.reason, expires_on: v.expires_on?.format("YYYY-MM-DD") })}
        initialValues={{ expires_on: withExpiry ? dayjs().add(7, "day") : undefined }}>
        <Form.Item name="reason" label={t("reason")} rules={[{ required: true }]}><Input.TextArea rows={2} /></Form.Item>
        {withExpiry && <Form.Item name="expires_on" label={t("expiresOn")} rules={[{ required: true }]}><DatePicker /></Form.Item>}
      </Form>
    </Modal>
  );
}


/** Change what has not shipped of an order, with the reason the order service requires: its lines from now on
 * (quantities, lines added or removed) and the delivery day. Every check of placing runs again; a line that shipped
 * keeps at least what shipped. A line's typed price (manual) and shelf-life condition are carried over as they are;
 * the others are priced again by the system. */
function AmendModal({ open, order, onClose, onDone }: { open: boolean; order: Row; onClose: () => void; onDone: () => void }) {
  const t = useT();
  const [form] = Form.useForm();
  const items = useItems();
  const [key, setKey] = useState(newKey);  // one key per amendment: a retry changes nothing
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const initial = useMemo(() => ({
    requested_delivery_date: order.requested_delivery_date ? dayjs(order.requested_delivery_date) : undefined,
    lines: order.lines.filter((l: Row) => l.status !== "cancelled").map((l: Row) => ({ gtin: l.gtin, quantity: l.quantity, line_no: l.line_no })),
  }), [order]);
  const submit = async (v: Row) => {
    const before: Record<number, Row> = Object.fromEntries(order.lines.map((l: Row) => [l.line_no, l]));
    const lines = v.lines.map((l: Row) => {
      const was = l.line_no ? before[l.line_no] : undefined;
      const same = was && was.gtin === l.gtin;
      return { gtin: l.gtin, quantity: l.quantity,
        ...(same && was.price_source === "manual" ? { unit_price: String(was.unit_price) } : {}),
        ...(same && was.min_remaining_shelf_life_days != null ? { min_remaining_shelf_life_days: was.min_remaining_shelf_life_days } : {}),
        ...(same && was.deliveries?.length && was.quantity === l.quantity ? { deliveries: was.deliveries.map((d: Row) => ({ date: d.date, quantity: d.quantity })) } : {}) };
    });
    setBusy(true);
    setError(undefined);
    try {
      await api(`order/orders/${order.order_id}/amendments`, { idempotencyKey: key, body: {
        lines, reason: v.reason.trim(), requested_delivery_date: v.requested_delivery_date?.format("YYYY-MM-DD") } });
      setKey(newKey());
      onDone();
    } catch (e) { setError(e); } finally { setBusy(false); }
  };
  return (
    <Modal open={open} width={760} title={t("amendOrder")} onCancel={onClose} onOk={() => form.submit()} okText={t("confirm")}
      confirmLoading={busy} destroyOnHidden>
      <ProblemAlert error={error} />
      <Form form={form} layout="vertical" initialValues={initial} onFinish={submit} name="amend">
        <Form.List name="lines">
          {(fields, { add, remove }) => <>
            {fields.map((field, n) => (
              <Space key={field.key} align="baseline" wrap>
                <Form.Item name={[field.name, "line_no"]} hidden><Input /></Form.Item>
                <Form.Item name={[field.name, "gtin"]} label={`${t("gtin")} ${n + 1}`} rules={[{ required: true }]}>
                  <Select showSearch optionFilterProp="label" options={items.data ?? []} style={{ width: 320 }} aria-label={`${t("gtin")} ${n + 1}`} />
                </Form.Item>
                <Form.Item name={[field.name, "quantity"]} label={t("quantity")} rules={[{ required: true }]}>
                  <InputNumber min={1} max={100000} aria-label={`${t("quantity")} ${n + 1}`} />
                </Form.Item>
                {fields.length > 1 && <Button onClick={() => remove(field.name)}>{t("remove")}</Button>}
              </Space>
            ))}
            <Form.Item><Button onClick={() => add({ quantity: 1 })}>{t("addLine")}</Button></Form.Item>
          </>}
        </Form.List>
        <Form.Item name="requested_delivery_date" label={t("deliveryDate")}><DatePicker /></Form.Item>
        <Form.Item name="reason" label={t("reason")} rules={[{ required: true, whitespace: true }]}><Input.TextArea rows={2} /></Form.Item>
      </Form>
    </Modal>
  );
}
