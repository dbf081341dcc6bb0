// The distributor's own stock and rebates. A distributor's user sees its own distributor's figures only because its
// token's scope lets the services answer nothing else: the console adds no filter of its own (the distributor id it
// sends is the one its scope names, which the services check). Channel staff read the same pages for any
// distributor they pick.
import { Alert, Button, Card, Col, DatePicker, Descriptions, Empty, Form, Input, Progress, Row as GridRow, Select, Space, Switch, Table, Tag, Typography, Upload } from "antd";
import type { UploadFile } from "antd";
import { useState } from "react";
import { api, type Page, upload } from "../api";
import { Item, Money, Named, PagedTable, ProblemAlert, TONE, useItemNames, useLoad, useMe } from "../components";
import { dateTime, dayjs } from "../format";
import { useStatus, useT } from "../i18n";
import { can, scopeOf } from "../session";

type Row = Record<string, any>;

/** Per lot on the day of the distributor's latest inventory report (进销存): received − returned − reported sold =
 * expected, against what it reported holding; a variance is flagged. And a new inventory report uploaded. */
export function ChannelStockPage() {
  const t = useT();
  const me = useMe();
  const own = scopeOf(me, "distributor");
  const [picked, setPicked] = useState<string | undefined>();
  const distributor = own ?? picked;
  const [onlyVariances, setOnlyVariances] = useState(false);
  const [round, setRound] = useState(0);
  const itemName = useItemNames();
  const distributors = useLoad(() => own ? Promise.resolve(null)
    : api<Page<Row>>("channel/distributors", { query: { limit: 500 } }), [own]);
  const reconciliation = useLoad(() => distributor
    ? api<Row>("traceability/channel-inventory/reconciliation", { query: { distributor_id: distributor, flagged: onlyVariances || undefined } })
    : Promise.resolve(null), [distributor, onlyVariances, round]);
  const r = reconciliation.data;
  return (
    <>
      <Typography.Title level={2} className="page-title">{t(own ? "myStock" : "channelStock")}</Typography.Title>
      {!own && <Space wrap style={{ marginBottom: 12 }}>
        <Select showSearch optionFilterProp="label" style={{ width: 300 }} placeholder={t("distributor")} aria-label={t("distributor")}
          value={picked} onChange={setPicked} options={(distributors.data?.items ?? []).map((d) => ({ value: d.distributor_id, label: d.name }))} />
      </Space>}
      <ProblemAlert error={distributors.error ?? reconciliation.error} />
      {distributor && <GridRow gutter={[16, 16]}>
        <Col span={24}>
          <Card title={t("reconciliation")} data-testid="reconciliation"
            extra={<Space><Switch checked={onlyVariances} onChange={setOnlyVariances} aria-label={t("onlyVariances")} />{t("onlyVariances")}</Space>}>
            {r && <Descriptions size="small" column={{ xs: 1, md: 3 }} style={{ marginBottom: 12 }} items={[
              { label: t("x_as_of"), children: r.as_of ?? t("noStockReport") },
              { label: t("x_reference2"), children: r.report_reference ?? "—" },
              { label: t("variances"), children: r.variances ? <Tag color={TONE.red} data-testid="variances">{r.variances}</Tag> : <span data-testid="variances">0</span> },
            ]} />}
            <div className="table-scroll" tabIndex={0} role="region" aria-label={t("reconciliation")}>
              <Table<Row> size="small" rowKey={(l) => `${l.gtin}-${l.lot}`} dataSource={r?.lots ?? []} loading={reconciliation.loading}
                pagination={{ pageSize: 20, showTotal: (n) => `${t("total")} ${n}` }} rowClassName={(l) => l.flagged ? "row-overdue" : ""}
                locale={{ emptyText: <Empty description={r && !r.as_of ? t("noStockReport") : t("noData")} /> }}
                columns={[
                  { title: t("gtin"), dataIndex: "gtin", render: (g) => <Item gtin={g} name={itemName(g)} /> },
                  { title: t("lot"), dataIndex: "lot" },
                  { title: t("x_received"), dataIndex: "received", align: "right" },
                  { title: t("returns"), dataIndex: "returned", align: "right" },
                  { title: t("x_sold"), dataIndex: "sold", align: "right" },
                  { title: t("expectedStock"), dataIndex: "expected", align: "right" },
                  { title: t("x_reported_stock"), dataIndex: "reported", align: "right" },
                  { title: t("x_variance"), dataIndex: "variance", align: "right",
                    render: (v, l) => l.flagged ? <Tag color={TONE.red}>{v > 0 ? `+${v}` : v}</Tag> : 0 },
                ]} />
            </div>
          </Card>
        </Col>
        <Col span={24}>
          <StockReportUpload distributorId={distributor} onDone={() => setRound((n) => n + 1)} />
        </Col>
      </GridRow>}
    </>
  );
}

/** An inventory report (进销存) as a CSV or Excel file, with its progress; each refused row comes back. */
function StockReportUpload({ distributorId, onDone }: { distributorId: string; onDone: () => void }) {
  const t = useT();
  const [files, setFiles] = useState<UploadFile[]>([]);
  const [share, setShare] = useState<number | null>(null);
  const [answer, setAnswer] = useState<Row | null>(null);
  const [error, setError] = useState<unknown>();
  const [form] = Form.useForm();
  const submit = async (v: Row) => {
    const file = files[0]?.originFileObj;
    if (!file) return;
    const body = new FormData();
    body.append("distributor_id", distributorId);
    body.append("report_reference", v.report_reference.trim());
    body.append("as_of", v.as_of.format("YYYY-MM-DD"));
    body.append("file", file, file.name);
    setError(undefined);
    setAnswer(null);
    setShare(0);
    try {
      setAnswer(await upload<Row>("traceability/channel-inventory-reports/upload", body, setShare));
      setFiles([]);
      form.resetFields(["report_reference"]);
      onDone();
    } catch (e) { setError(e); }
    setShare(1);
  };
  return (
    <Card title={t("stockReportUpload")}>
      <Typography.Paragraph type="secondary">CSV / xlsx: gtin (产品标识), lot (批号), quantity (库存数量)</Typography.Paragraph>
      <Form form={form} layout="inline" style={{ rowGap: 8 }} onFinish={submit} initialValues={{ as_of: dayjs() }}>
        <Form.Item name="report_reference" label={t("x_reference2")} rules={[{ required: true, whitespace: true }]}><Input style={{ width: 200 }} /></Form.Item>
        <Form.Item name="as_of" label={t("x_counted_on")} rules={[{ required: true }]}><DatePicker /></Form.Item>
        <Form.Item label={t("file")} required>
          <Upload beforeUpload={() => false} maxCount={1} fileList={files} onChange={({ fileList }) => setFiles(fileList)} accept=".csv,.xlsx">
            <Button>{t("file")}…</Button>
          </Upload>
        </Form.Item>
        <Form.Item><Button type="primary" htmlType="submit" disabled={!files.length}>{t("upload")}</Button></Form.Item>
      </Form>
      {share !== null && <Progress aria-label={`${t("upload")} ${t("progress")}`} percent={Math.round(Math.max(share, 0) * 100)}
        status={error ? "exception" : share >= 1 ? "success" : "active"} />}
      <ProblemAlert error={error} />
      {answer && <div data-testid="stock-upload-answer">
        <Alert type={answer.rows_rejected.length ? "warning" : "success"} style={{ margin: "12px 0" }}
          title={`${answer.report_reference} · ${answer.as_of}: ${answer.lines.length} ✓, ${answer.rows_rejected.length} ✕`} />
        {answer.rows_rejected.length > 0 && <Table<Row> size="small" rowKey={(e) => `${e.row}-${e.field}`} dataSource={answer.rows_rejected} pagination={false}
          columns={[{ title: t("row"), dataIndex: "row" }, { title: t("field"), dataIndex: "field" },
            { title: t("rule"), dataIndex: "rule", render: (r) => <code>{r}</code> }, { title: t("message"), dataIndex: "message" }]} />}
      </div>}
    </Card>
  );
}

/** A distributor's rebates: per programme what it earned period by period, what was settled and what is due; its
 * settlements (票折 or 货补) with their status; its scorecard (target and attainment). The services answer only the
 * caller's own distributor (rebate:read-own); the programmes come from the list for those who may read every
 * programme's terms (rebate:read), else from the distributor's own settlements. */
export function MyRebatesPage() {
  const t = useT();
  const me = useMe();
  const status = useStatus();
  const own = scopeOf(me, "distributor");
  const programmes = useLoad(async () => {
    if (can(me, "rebate:read")) return (await api<Page<Row>>("channel/rebate-programmes", { query: { limit: 50 } })).items;
    const settled = await api<Page<Row>>("channel/rebate-settlements", { query: { limit: 500 } });
    const seen = new Map<string, Row>();
    for (const s of settled.items) if (!seen.has(s.programme_id)) seen.set(s.programme_id, { programme_id: s.programme_id, number: s.programme_number });
    return [...seen.values()];
  }, [me]);
  // Each programme's accruals, without naming a distributor: the answer holds those in the caller's scope only.
  const accruals = useLoad(async () => {
    const answers = await Promise.all((programmes.data ?? []).map((p) =>
      api<Row>("channel/rebates/accruals", { query: { programme_id: p.programme_id } }).then((a) => ({ programme: p, accruals: a }))));
    return answers.filter((a) => a.accruals.distributors.length > 0);
  }, [programmes.data]);
  const scorecard = useLoad(() => own ? api<Row>(`channel/distributors/${own}/scorecard`) : Promise.resolve(null), [own]);
  const amount = (p: Row, v: string) => p.measure === "amount" ? <Money value={v} /> : v;  // a volume: money or units
  const sc = scorecard.data;
  return (
    <>
      <Typography.Title level={2} className="page-title">{t("myRebates")}</Typography.Title>
      <ProblemAlert error={scorecard.error} />
      {sc && <Card size="small" style={{ marginBottom: 16 }} title={`${t("scorecards")} · ${sc.period}`} data-testid="my-scorecard">
        <Descriptions size="small" column={{ xs: 1, md: 4 }} items={[
          { label: t("x_sell_in"), children: <Money value={sc.sell_in_amount} /> },
          { label: t("x_target"), children: sc.target_amount != null ? <Money value={sc.target_amount} /> : sc.target_units ?? "—" },
          { label: t("x_attainment"), children: sc.attainment == null ? "—" : `${(Number(sc.attainment) * 100).toFixed(0)}%` },
          { label: t("x_sell_out"), children: sc.sell_out_units },
        ]} />
      </Card>}
      <ProblemAlert error={programmes.error ?? accruals.error} />
      {accruals.data?.length === 0 && <Empty description={t("noData")} />}
      {(accruals.data ?? []).map(({ programme, accruals: a }) => a.distributors.map((d: Row) => (
        <Card key={`${programme.programme_id}-${d.distributor_id}`} style={{ marginBottom: 16 }} data-testid="rebate-programme"
          title={[programme.number ?? a.number, programme.name].filter(Boolean).join(" · ")} extra={<Named name={d.distributor_name} id={d.distributor_id} />}>
          <Descriptions size="small" column={{ xs: 1, md: 4 }} style={{ marginBottom: 12 }} items={[
            { label: t("x_through"), children: a.through },
            { label: t("x_entitled"), children: <Money value={d.entitled} /> },
            { label: t("x_settled"), children: <Money value={d.settled} /> },
            { label: t("x_due"), children: <span data-testid="rebate-due"><Money value={d.due} /></span> },
          ]} />
          <Table<Row> size="small" rowKey="period" dataSource={d.periods} pagination={{ pageSize: 12, hideOnSinglePage: true }}
            scroll={{ x: "max-content" }}
            expandable={{ expandedRowRender: (p) => <Table<Row> size="small" rowKey={(b) => String(b.from)} dataSource={p.bands} pagination={false}
              columns={[{ title: t("x_band"), render: (_, b) => `${b.from} – ${b.to ?? "∞"}` }, { title: t("x_rate"), dataIndex: "rate", align: "right" },
                { title: t("x_volume"), dataIndex: "on", align: "right", render: (v) => amount(programme, v) }, { title: t("x_rebate"), dataIndex: "rebate", align: "right", render: (v) => <Money value={v} /> }]} />,
              rowExpandable: (p) => p.bands?.length > 0 }}
            columns={[{ title: t("period"), dataIndex: "period" },
              { title: t("x_volume"), dataIndex: "volume", align: "right", render: (v) => amount(programme, v) },
              { title: t("x_cumulative"), dataIndex: "cumulative", align: "right", render: (v) => amount(programme, v) },
              { title: t("x_entitled"), dataIndex: "entitled", align: "right", render: (v) => <Money value={v} /> },
              { title: t("x_accrual"), dataIndex: "accrual", align: "right", render: (v) => <Money value={v} /> }]} />
        </Card>)))}
      <Card title={t("settlements")}>
        <PagedTable<Row> path="channel/rebate-settlements" rowKey={(s) => `${s.programme_id}-${s.settlement_no}`} testId="my-settlements" label={t("settlements")}
          columns={[{ title: "No.", dataIndex: "settlement_no" }, { title: t("x_programme"), dataIndex: "programme_number" },
            { title: t("x_through"), dataIndex: "through_period" },
            { title: t("amount"), dataIndex: "amount", align: "right", render: (v) => <Money value={v} /> },
            { title: t("x_mode"), dataIndex: "mode", render: (m, s) => m === "free_goods" ? `${t("freeGoods")} ${s.free_goods_quantity ?? ""} × ${s.free_goods_gtin ?? ""}` : t("invoiceDiscount") },
            { title: t("status"), dataIndex: "status", render: (s) => <Tag color={TONE[s === "approved" ? "green" : s === "rejected" ? "red" : "orange"]}>{status(s)}</Tag> },
            { title: t("when"), dataIndex: "proposed_at", render: dateTime }, { title: t("decidedAt"), dataIndex: "decided_at", render: dateTime }]} />
      </Card>
    </>
  );
}
