// The channel manager's dashboard (可视化看板): sales by region and month (analytics), distributor ranking and
// scorecards, rebate accruals and settlements, diversion alerts, the sell-out review queue, promotions. Every
// chart says why it is empty; sales figures drill down to the order lines behind them.
import { Button, Card, Col, Empty, Form, Input, InputNumber, Row as GridRow, Segmented, Select, Table, Tag, Typography } from "antd";
import type { EChartsCoreOption } from "echarts";
import { useMemo, useState } from "react";
import { ApiError, api, type Page } from "../api";
import { DownloadButton, Money, Named, PagedTable, ProblemAlert, useLoad, useMe, TONE } from "../components";
import { Chart } from "../chart";
import { chartNumber, dateTime, dayjs, money, userZone } from "../format";
import { useT } from "../i18n";
import { can } from "../session";

type Row = Record<string, any>;
interface Sales extends Page<Row> { currency: string; amount: string; units: number }

/** Analytics may not be there (yet), or not for this role: 403, 404 or 502/503 leave the chart empty, with a message. */
function orNothing<T>(call: Promise<T>): Promise<T | null> {
  return call.catch((e) => {
    if (e instanceof ApiError && [403, 404, 502, 503].includes(e.status)) return null;
    throw e;
  });
}

export function useSales(group: string) {
  return useLoad(() => orNothing(api<Sales>("analytics/sales", { query: { group, limit: 50 } })), [group]);
}

function pieOption(data: { name: string; value: number }[], valueFormatter?: (v: number) => string): EChartsCoreOption | null {
  return data.some((d) => d.value > 0) ? {
    tooltip: { trigger: "item", valueFormatter }, legend: { bottom: 0, type: "scroll" },
    series: [{ type: "pie", radius: ["35%", "65%"], data, label: { formatter: "{b}: {d}%" } }], aria: { enabled: true },
  } : null;
}

function barOption(names: string[], values: number[], label: string, horizontal = false, moneyAxis = true): EChartsCoreOption {
  const category = { type: "category", data: names, axisLabel: { interval: 0, width: 120, overflow: "truncate" } };
  const value = { type: "value", axisLabel: { formatter: (v: number) => moneyAxis ? money(String(v)).replace(/\.00$/, "") : String(v) } };
  return {
    tooltip: { trigger: "axis", valueFormatter: (v: number) => moneyAxis ? money(String(v)) : String(v) },
    grid: { left: horizontal ? 140 : 60, right: 24, top: 24, bottom: 48 },
    xAxis: horizontal ? value : category, yAxis: horizontal ? { ...category, inverse: true } : value,
    series: [{ type: "bar", name: label, data: values, itemStyle: { color: "#0958d9" } }],
    aria: { enabled: true },
  };
}

export function DashboardPage() {
  const t = useT();
  const me = useMe();
  const byRegion = useSales("region");
  const byMonth = useSales("month");
  const [drill, setDrill] = useState<{ group: string; key: string } | null>(null);
  const [rankedBy, setRankedBy] = useState<string>("sell_in");
  const scorecards = useLoad(() => api<Page<Row>>("channel/scorecards", { query: { ranked_by: rankedBy, limit: 20 } }), [rankedBy]);
  const programmes = useLoad(() => api<Page<Row>>("channel/rebate-programmes", { query: { limit: 20 } }), []);
  const programme = programmes.data?.items?.[0];
  const accruals = useLoad(() => programme ? api<Row>("channel/rebates/accruals", { query: { programme_id: programme.programme_id } }) : Promise.resolve(null), [programme?.programme_id]);

  // Provinces as ranked bars with each one's share, not a map: publishing a map of China needs approved map data
  // (审图号), so the console charts regions rather than drawing borders.
  const regions = useMemo(() => [...(byRegion.data?.items ?? [])].sort((a, b) => chartNumber(b.amount) - chartNumber(a.amount)), [byRegion.data]);
  const regionOption = useMemo(() => {
    if (!regions.length) return null;
    const total = regions.reduce((sum, r) => sum + chartNumber(r.amount), 0);
    const option = barOption(regions.map((r) => r.name ?? r.key), regions.map((r) => chartNumber(r.amount)), t("amount"), true) as Row;
    return { ...option, grid: { ...option.grid, left: 96, right: 56 },
      series: [{ ...option.series[0], barMaxWidth: 28, label: { show: true, position: "right", color: "#262626",
        formatter: (p: { value: number }) => total ? `${Math.round((p.value / total) * 100)}%` : "" } }] };
  }, [regions, t]);
  const monthOption = useMemo(() => byMonth.data?.items.length ? {
    tooltip: { trigger: "axis", valueFormatter: (v: number) => money(String(v)) }, grid: { left: 70, right: 24, top: 24, bottom: 40 },
    xAxis: { type: "category", data: byMonth.data.items.map((r) => r.key) }, yAxis: { type: "value" },
    series: [{ type: "bar", barMaxWidth: 48, itemStyle: { color: "#0958d9" }, data: byMonth.data.items.map((r) => chartNumber(r.amount)) }], aria: { enabled: true },
  } : null, [byMonth.data]);
  const field = rankedBy === "sell_out" ? "sell_out_units" : rankedBy === "attainment" ? "attainment" : rankedBy === "sell_through" ? "sell_through_rate" : rankedBy === "diversion" ? "diversion_alerts" : "sell_in_amount";
  const rankingOption = useMemo(() => scorecards.data?.items.length
    ? barOption(scorecards.data.items.map((s) => s.distributor_name), scorecards.data.items.map((s) => chartNumber(String(s[field] ?? 0))), field, true, field === "sell_in_amount")
    : null, [scorecards.data, field]);
  const accrualOption = useMemo(() => accruals.data?.distributors?.length ? {
    tooltip: { trigger: "axis", valueFormatter: (v: number) => money(String(v)) }, legend: { top: 0 }, grid: { left: 140, right: 24, top: 32, bottom: 32 },
    xAxis: { type: "value" }, yAxis: { type: "category", inverse: true, data: accruals.data.distributors.map((d: Row) => d.distributor_name) },
    series: (["entitled", "settled", "due"] as const).map((k) => ({ type: "bar", name: k, data: accruals.data!.distributors.map((d: Row) => chartNumber(d[k])) })),
    aria: { enabled: true },
  } : null, [accruals.data]);
  const salesEmpty = (s: { data: Sales | null | undefined }) => s.data === null ? t("analyticsUnavailable") : t("noData");
  // Promotions with their effect against the days before them (analytics); without analytics, the channel's list.
  const effects = useLoad(() => orNothing(api<Page<Row>>("analytics/promotions/effect", { query: { limit: 20 } })), []);
  const health = useLoad(() => orNothing(api<Row>("analytics/inventory/health")), []);
  const returns = useLoad(() => orNothing(api<Page<Row>>("analytics/returns/reasons", { query: { group: "reason", limit: 20 } })), []);
  const healthOption = useMemo(() => health.data ? pieOption(Object.entries(health.data.by_status as Record<string, Row>)
    .map(([status, figure]) => ({ name: status, value: figure.units }))) : null, [health.data]);
  const returnsOption = useMemo(() => returns.data ? pieOption(returns.data.items.map((r) => ({ name: r.name ?? r.key, value: r.units }))) : null, [returns.data]);

  return (
    <>
      <Typography.Title level={2} className="page-title">{t("dashboard")}</Typography.Title>
      <GridRow gutter={[16, 16]}>
        <Col xs={24} lg={12}>
          <Card title={`${t("salesByRegion")}${byRegion.data ? ` · ${money(byRegion.data.amount, byRegion.data.currency)}` : ""}`}
            extra={byRegion.data && <DownloadButton path="analytics/sales/export" query={{ group: "region", format: "xlsx" }} name="sales-by-region.xlsx" label={t("exportXlsx")} />}>
            <ProblemAlert error={byRegion.error} />
            <div>
              <ChartWithDrill option={regionOption} empty={salesEmpty(byRegion)} label={t("salesByRegion")} testId="chart-sales-region"
                height={Math.max(280, regions.length * 30 + 72)}
                keys={regions.map((r) => r.key)} onPick={(key) => setDrill({ group: "region", key })} />
            </div>
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={t("salesByMonth")}><ProblemAlert error={byMonth.error} />
            <Chart option={monthOption} empty={salesEmpty(byMonth)} label={t("salesByMonth")} testId="chart-sales-month" /></Card>
        </Col>
        {drill && <Col span={24}>
          <Card title={`${t("salesByRegion")} · ${drill.key}`} extra={<a onClick={() => setDrill(null)}>✕</a>}>
            <PagedTable<Row> path="analytics/sales/lines" query={drill} rowKey={(r) => `${r.document_id}-${r.line_no}`} testId="sales-lines"
              columns={[{ title: t("order"), dataIndex: "order_id", render: (v) => String(v).slice(0, 8) }, { title: t("issuedOn"), dataIndex: "on_date" },
                { title: t("hospital"), dataIndex: "hospital_name", render: (n, r) => <Named name={n} id={r.hospital_id} /> },
                { title: t("distributor"), dataIndex: "distributor_name" }, { title: t("city"), dataIndex: "city" },
                { title: t("gtin"), dataIndex: "item_name", render: (n, r) => n ?? r.gtin }, { title: t("units"), dataIndex: "units", align: "right" },
                { title: t("amount"), dataIndex: "amount", align: "right", render: (v) => <Money value={v} /> }]} />
          </Card>
        </Col>}
        <Col xs={24} lg={12}>
          <Card title={t("ranking")} extra={<Segmented size="small" value={rankedBy} onChange={(v) => setRankedBy(String(v))}
            options={["sell_in", "sell_out", "attainment", "sell_through", "diversion"]} />}>
            <ProblemAlert error={scorecards.error} />
            <Chart option={rankingOption} empty={t("noData")} label={t("ranking")} testId="chart-ranking" />
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={`${t("rebates")}${accruals.data ? ` · ${accruals.data.number}` : ""}`}>
            <ProblemAlert error={programmes.error ?? accruals.error} />
            <Chart option={accrualOption} empty={t("noData")} label={t("rebates")} testId="chart-rebates" />
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={t("inventoryHealth")} extra={health.data && <span>{t("nearExpiry")}: {(health.data.near_expiry as Row[]).map((n) => `≤${n.days}d ${n.units}`).join(" · ")}</span>}>
            <ProblemAlert error={health.error} />
            <Chart option={healthOption} empty={health.data === null ? t("analyticsUnavailable") : t("noData")} label={t("inventoryHealth")} testId="chart-inventory-health" />
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={t("returnReasons")}>
            <ProblemAlert error={returns.error} />
            <Chart option={returnsOption} empty={returns.data === null ? t("analyticsUnavailable") : t("noData")} label={t("returnReasons")} testId="chart-return-reasons" />
          </Card>
        </Col>
        <Col span={24}>
          <Card title={t("scorecards")}>
            <Table<Row> size="small" rowKey="distributor_id" dataSource={scorecards.data?.items ?? []} pagination={false} scroll={{ x: "max-content" }}
              locale={{ emptyText: <Empty description={t("noData")} /> }}
              columns={[{ title: t("distributor"), dataIndex: "distributor_name" }, { title: t("region"), dataIndex: "region" }, { title: t("tier"), dataIndex: "tier" },
                { title: t("x_sell_in"), dataIndex: "sell_in_amount", align: "right", render: (v) => <Money value={v} /> },
                { title: t("x_sell_out"), dataIndex: "sell_out_units", align: "right" },
                { title: t("x_sell_through"), dataIndex: "sell_through_rate", align: "right", render: (v) => v == null ? "—" : `${(Number(v) * 100).toFixed(0)}%` },
                { title: t("x_target"), dataIndex: "target_amount", align: "right", render: (v) => <Money value={v} /> },
                { title: t("x_attainment"), dataIndex: "attainment", align: "right", render: (v) => v == null ? "—" : `${(Number(v) * 100).toFixed(0)}%` },
                { title: t("x_doi"), dataIndex: "days_of_inventory", align: "right", render: (v) => v ?? "—" },
                { title: t("diversion"), dataIndex: "diversion_alerts_open", align: "right", render: (v) => v ? <Tag color={TONE.red}>{v}</Tag> : 0 }]} />
          </Card>
        </Col>
        {can(me, "rebate:manage") && <Col span={24}><TargetsCard onSaved={scorecards.reload} /></Col>}
        <Col xs={24} xl={12}>
          <Card title={t("diversion")}>
            <PagedTable<Row> path="channel/diversion-alerts" rowKey="alert_id" pageSize={5} testId="diversion"
              columns={[{ title: t("distributor"), dataIndex: "distributor_name" }, { title: t("hospital"), dataIndex: "hospital_name" },
                { title: t("province"), dataIndex: "province" }, { title: t("lot"), render: (_, r) => `${r.item_name ?? r.gtin} · ${r.lot}` },
                { title: t("quantity"), dataIndex: "quantity", align: "right" }, { title: t("status"), dataIndex: "status", render: (s) => s ? <Tag color={TONE[s === "open" ? "red" : "grey"]}>{s}</Tag> : "—" }]} />
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card title={t("selloutReview")}>
            <PagedTable<Row> path="traceability/sellout-review" rowKey={(r) => `${r.report_id}-${r.line_no}`} pageSize={5} testId="sellout-review"
              columns={[{ title: t("distributor"), dataIndex: "distributor_name" }, { title: t("x_reported"), dataIndex: "reported_hospital" },
                { title: t("lot"), render: (_, r) => `${r.gtin} · ${r.lot}` }, { title: t("quantity"), dataIndex: "quantity", align: "right" },
                { title: t("sold_at"), dataIndex: "sold_at" }]} />
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card title={t("settlements")}>
            <PagedTable<Row> path="channel/rebate-settlements" rowKey={(r) => `${r.programme_id}-${r.settlement_no}`} pageSize={5}
              columns={[{ title: "No.", dataIndex: "settlement_no" }, { title: t("distributor"), dataIndex: "distributor_name" },
                { title: t("amount"), dataIndex: "amount", align: "right", render: (v) => <Money value={v} /> }, { title: t("x_mode"), dataIndex: "mode" },
                { title: t("status"), dataIndex: "status" }, { title: t("when"), dataIndex: "proposed_at", render: dateTime }]} />
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card title={t("promotions")}>
            {effects.data ? <div className="table-scroll" tabIndex={0} role="region" aria-label={t("promotions")}>
              <Table<Row> size="small" rowKey="promotion_id" dataSource={effects.data.items} pagination={false} data-testid="promotion-effects"
                columns={[{ title: "No.", dataIndex: "number" }, { title: t("name"), dataIndex: "name" },
                  { title: t("amount"), dataIndex: "amount", align: "right", render: (v) => <Money value={v} /> },
                  { title: t("x_baseline"), dataIndex: "baseline_amount", align: "right", render: (v) => <Money value={v} /> },
                  { title: t("x_uplift"), dataIndex: "uplift", align: "right", render: (v) => v == null ? "—" : `${(Number(v) * 100).toFixed(0)}%` },
                  { title: t("x_budget_used"), dataIndex: "budget_used", align: "right", render: (v) => `${(Number(v) * 100).toFixed(0)}%` },
                  { title: t("period"), render: (_, r) => `${r.valid_from} – ${r.valid_to}` }]} />
            </div> : <PagedTable<Row> path="channel/promotions" rowKey="promotion_id" pageSize={5} label={t("promotions")}
              columns={[{ title: "No.", dataIndex: "number" }, { title: t("name"), dataIndex: "name" },
                { title: t("x_budget"), dataIndex: "budget", align: "right", render: (v) => <Money value={v} /> },
                { title: t("period"), render: (_, r) => `${r.valid_from} – ${r.valid_to}` }, { title: t("by"), dataIndex: "owner" }]} />}
          </Card>
        </Col>
      </GridRow>
    </>
  );
}

/** A chart whose bars can be clicked to list the rows behind them (and a list of keys for keyboard users). */
function ChartWithDrill({ option, empty, label, testId, keys, onPick, height }: { option: EChartsCoreOption | null; empty: string; label: string; testId: string; keys: string[]; onPick: (key: string) => void; height?: number }) {
  return (
    <>
      <Chart option={option} empty={empty} label={label} testId={testId} height={height} />
      {keys.length > 0 && <div style={{ marginTop: 8 }}>{keys.slice(0, 12).map((k) => <Tag key={k} style={{ cursor: "pointer" }} onClick={() => onPick(k)}
        role="button" tabIndex={0} onKeyDown={(e) => e.key === "Enter" && onPick(k)}>{k}</Tag>)}</div>}
    </>
  );
}

/** The periods a target is usually set for: quarters from the last to three ahead, months from the last to five ahead. */
function targetPeriods(): { value: string; label: string }[] {
  const now = dayjs().tz(userZone());
  const quarters = [-1, 0, 1, 2, 3].map((n) => now.add(n * 3, "month")).map((d) => `${d.year()}-Q${Math.floor(d.month() / 3) + 1}`);
  const months = [-1, 0, 1, 2, 3, 4, 5].map((n) => now.add(n, "month").format("YYYY-MM"));
  return [...quarters, ...months].map((p) => ({ value: p, label: p }));
}

/** A distributor's sell-in target (net of VAT, units, or both) for a month or a quarter; a later one replaces it. */
function TargetsCard({ onSaved }: { onSaved: () => void }) {
  const t = useT();
  const [form] = Form.useForm();
  const [error, setError] = useState<unknown>();
  const periods = useMemo(targetPeriods, []);
  const distributors = useLoad(() => api<Page<Row>>("channel/distributors", { query: { limit: 500 } }), []);
  const chosen: string | undefined = Form.useWatch("distributor_id", form);
  const distributor = useLoad(() => chosen ? api<Row>(`channel/distributors/${chosen}`) : Promise.resolve(null), [chosen]);
  const targets = Object.entries((distributor.data?.targets ?? {}) as Record<string, Row>)
    .map(([period, target]) => ({ period, ...target })).sort((a, b) => b.period.localeCompare(a.period));
  return (
    <Card title={t("targets")} data-testid="targets">
      <ProblemAlert error={error ?? distributors.error ?? distributor.error} />
      <Form form={form} layout="inline" style={{ rowGap: 8, marginBottom: 12 }} initialValues={{ period: periods[1].value }}
        onFinish={async (v) => {
          setError(undefined);
          try {
            distributor.set(await api<Row>(`channel/distributors/${v.distributor_id}/targets/${v.period}`, { method: "PUT",
              body: { amount: v.amount?.trim() || undefined, units: v.units ?? undefined } }));  // its targets as now set
            form.resetFields(["amount", "units"]);
            onSaved();
          } catch (e) { setError(e); }
        }}>
        <Form.Item name="distributor_id" label={t("distributor")} rules={[{ required: true }]}>
          <Select showSearch optionFilterProp="label" style={{ width: 240 }}
            options={(distributors.data?.items ?? []).map((d) => ({ value: d.distributor_id, label: d.name }))} />
        </Form.Item>
        <Form.Item name="period" label={t("period")} rules={[{ required: true }]}><Select style={{ width: 120 }} options={periods} /></Form.Item>
        <Form.Item name="amount" label={t("x_target_amount")} dependencies={["units"]} rules={[{ pattern: /^\s*\d{1,16}(\.\d{1,2})?\s*$/ },
          ({ getFieldValue }) => ({ validator: (_, value) => value || getFieldValue("units") != null ? Promise.resolve() : Promise.reject(new Error(t("amountOrUnits"))) })]}>
          <Input style={{ width: 140 }} inputMode="decimal" />
        </Form.Item>
        <Form.Item name="units" label={t("x_target_units")}><InputNumber min={0} style={{ width: 110 }} /></Form.Item>
        <Form.Item><Button type="primary" htmlType="submit">{t("save")}</Button></Form.Item>
      </Form>
      {chosen && <Table<Row> size="small" rowKey="period" dataSource={targets} pagination={{ pageSize: 8, hideOnSinglePage: true }} data-testid="target-list"
        locale={{ emptyText: <Empty description={t("noData")} /> }}
        columns={[{ title: t("period"), dataIndex: "period" },
          { title: t("x_target_amount"), dataIndex: "amount", align: "right", render: (v) => v == null ? "—" : <Money value={v} /> },
          { title: t("x_target_units"), dataIndex: "units", align: "right", render: (v) => v ?? "—" }]} />}
    </Card>
  );
}
