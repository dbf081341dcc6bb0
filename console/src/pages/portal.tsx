// The portals. A hospital accepts a delivery on its phone by scanning each unit; a distributor uploads its sell-out
// (流向) and sees each refused row; both read their recall notices. What they see is what the services' data scopes
// let their token see: the console adds no filter of its own.
import { Alert, Button, Card, DatePicker, Form, Input, List, Modal, Progress, Result, Select, Space, Table, Tag, Typography, Upload } from "antd";
import type { UploadFile } from "antd";
import { useState } from "react";
import { api, newKey, type Page, upload } from "../api";
import { Named, PagedTable, ProblemAlert, StatusTag, useLoad, useMe, TONE } from "../components";
import { dateTime, dayjs } from "../format";
import { useT } from "../i18n";
import { type ParsedUdi, ScanInput } from "../scan";
import { can, scopeOf } from "../session";

type Row = Record<string, any>;

export function AcceptancePage() {
  const t = useT();
  const orders = useLoad(() => api<Page<Row>>("order/orders", { query: { limit: 50 } }), []);
  const [chosen, setChosen] = useState<{ orderId: string; shipment: Row } | null>(null);
  const [orderId, setOrderId] = useState<string | null>(null);
  const fulfilment = useLoad(() => orderId ? api<Row>(`inventory/fulfilments/${orderId}`) : Promise.resolve(null), [orderId]);
  if (chosen) return <AcceptShipment orderId={chosen.orderId} shipment={chosen.shipment} onBack={() => { setChosen(null); fulfilment.reload(); }} />;
  return (
    <div style={{ maxWidth: 560 }}>
      <Typography.Title level={2} className="page-title">{t("acceptance")}</Typography.Title>
      <ProblemAlert error={orders.error ?? fulfilment.error} />
      {!orderId && <List loading={orders.loading} dataSource={(orders.data?.items ?? []).filter((o) => ["shipped", "partially_shipped"].includes(o.status))}
        data-testid="acceptance-orders" locale={{ emptyText: t("noData") }}
        renderItem={(o) => <List.Item actions={[<Button key="o" onClick={() => setOrderId(o.order_id)}>{t("open")}</Button>]}>
          <List.Item.Meta title={`${o.customer_reference ?? o.order_id.slice(0, 8)}`} description={<Space wrap><StatusTag value={o.status} />{dateTime(o.placed_at)}</Space>} />
        </List.Item>} />}
      {orderId && fulfilment.data && <Card size="small" title={`${t("chooseShipment")} · ${orderId.slice(0, 8)}`} extra={<Button size="small" onClick={() => setOrderId(null)}>{t("orders")}</Button>}>
        <List dataSource={fulfilment.data.shipments} data-testid="acceptance-shipments" renderItem={(s: Row) => (
          <List.Item actions={[s.accepted_by ? <Tag key="a" color={TONE.green}>{t("accepted")}</Tag>
            : s.delivered_at ? <Button key="s" type="primary" onClick={() => setChosen({ orderId, shipment: s })}>{t("acceptance")}</Button>
            : <Tag key="w">{t("shipped")}</Tag>]}>
            <List.Item.Meta title={`${s.carrier ?? ""} ${s.tracking_number ?? ""}`}
              description={(s.lines ?? []).map((l: Row, i: number) => <div key={i}>{l.gtin} · {l.lot} × {l.quantity}</div>)} />
          </List.Item>)} />
      </Card>}
    </div>
  );
}

function AcceptShipment({ orderId, shipment, onBack }: { orderId: string; shipment: Row; onBack: () => void }) {
  const t = useT();
  const me = useMe();
  const [scans, setScans] = useState<ParsedUdi[]>([]);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState(false);
  const [by, setBy] = useState(me?.name ?? "");
  const lines: Row[] = shipment.lines ?? [];
  const count = (gtin: string, lot: string) => scans.filter((s) => s.gtin === gtin && s.lot === lot).reduce((n, s) => n + Number(s.quantity ?? 1), 0);
  const strangers = scans.filter((s) => !lines.some((l) => l.gtin === s.gtin && l.lot === s.lot));
  const accept = async () => {
    setError(undefined);
    // What was not scanned is short; a unit that was not in the shipment is a wrong item: both are recorded with
    // the acceptance, so billing and the warehouse see the same discrepancy the hospital saw.
    const discrepancies = [
      ...lines.filter((l) => count(l.gtin, l.lot) < l.quantity).map((l) => ({ gtin: l.gtin, lot: l.lot, kind: "short", quantity: l.quantity - count(l.gtin, l.lot) })),
      ...lines.filter((l) => count(l.gtin, l.lot) > l.quantity).map((l) => ({ gtin: l.gtin, lot: l.lot, kind: "over", quantity: count(l.gtin, l.lot) - l.quantity })),
      ...strangers.filter((s) => s.gtin).map((s) => ({ gtin: s.gtin, lot: s.lot ?? undefined, kind: "wrong_item", quantity: s.quantity ?? 1 })),
    ];
    try {
      await api(`inventory/fulfilments/${orderId}/shipments/${shipment.shipment_id}/acceptance`, { body: { accepted_by: by, discrepancies } });
      setDone(true);
    } catch (e) { setError(e); }
  };
  if (done) return <Result status="success" title={t("accepted")} data-testid="accepted" extra={<Button onClick={onBack}>{t("acceptance")}</Button>} />;
  return (
    <div style={{ maxWidth: 560 }}>
      <Typography.Title level={2} className="page-title" style={{ fontSize: 20 }}>{t("acceptance")}</Typography.Title>
      <ScanInput onScan={(parsed) => setScans((s) => [...s, parsed])} />
      <List style={{ marginTop: 12 }} bordered dataSource={lines} data-testid="acceptance-lines" renderItem={(l) => {
        const n = count(l.gtin, l.lot), expected = Number(l.quantity);
        return <List.Item><List.Item.Meta title={`${l.gtin} · ${l.lot}`} description={`${t("expiry")} ${l.expiry ?? "—"}`} />
          <Tag color={TONE[n === expected ? "green" : n > expected ? "red" : "orange"]} style={{ fontSize: 16, padding: "4px 8px" }} data-testid="acceptance-count"
            data-complete={n === expected}>{n === expected ? "✓ " : ""}{n} / {l.quantity}</Tag>
        </List.Item>;
      }} />
      {strangers.length > 0 && <Alert style={{ marginTop: 12 }} type="warning" title={`${strangers.length} × wrong item: ${strangers.map((s) => `${s.gtin}/${s.lot}`).join(", ")}`} />}
      <ProblemAlert error={error} />
      <Form layout="vertical" style={{ marginTop: 12 }}>
        <Form.Item label={t("acceptedBy")} htmlFor="accepted-by" required><Input id="accepted-by" value={by} onChange={(e) => setBy(e.target.value)} /></Form.Item>
      </Form>
      <Space style={{ width: "100%" }} direction="vertical">
        <Button type="primary" block size="large" disabled={!by.trim() || scans.length === 0} onClick={accept}>{t("acceptDelivery")}</Button>
        <Button block onClick={onBack}>{t("cancel")}</Button>
      </Space>
    </div>
  );
}

/** The recall notices addressed to the user's own hospital or distributor; one not yet acknowledged is acknowledged
 * here (确认收到), by name, and the recall officer sees it on the case at once. */
export function RecallNoticesPage() {
  const t = useT();
  const me = useMe();
  const [acknowledging, setAcknowledging] = useState<Row | null>(null);
  const [round, setRound] = useState(0);
  // Acknowledged here: shown at once from the service's answer, before the notices' read model catches up.
  const [done, setDone] = useState<Record<string, Row>>({});
  return (
    <>
      <Typography.Title level={2} className="page-title">{t("recallNotices")}</Typography.Title>
      <PagedTable<Row> path="traceability/recall-notices" rowKey={(r) => `${r.recall_id}-${r.consignee_id}`} testId="recall-notices" reloadKey={round}
        filters={<Form.Item name="acknowledged" label={t("acknowledged")}><Select allowClear style={{ width: 140 }}
          options={[{ value: "false", label: t("notYetAcknowledged") }, { value: "true", label: t("acknowledged") }]} /></Form.Item>}
        columns={[
          { title: t("recall"), dataIndex: "number" }, { title: t("title"), dataIndex: "title" },
          { title: t("level"), dataIndex: "level_name" }, { title: t("reason"), dataIndex: "reason" },
          { title: t("lot"), dataIndex: "recalled", render: (items: Row[]) => (items ?? []).map((i, n) => <div key={n}>{i.gtin} · {i.lot ?? i.serial}</div>) },
          { title: t("consignees"), dataIndex: "consignee_name", render: (n, r) => <Named name={n} id={r.consignee_id} /> },
          { title: t("notified"), dataIndex: "notified_at", render: dateTime },
          { title: t("acknowledged"), dataIndex: "acknowledged_at", render: (v, r) => v || done[`${r.recall_id}-${r.consignee_id}`]
            ? <span data-testid="notice-acknowledged">{dateTime(v ?? done[`${r.recall_id}-${r.consignee_id}`].acknowledged_at)}{" "}
              {r.acknowledged_by ?? done[`${r.recall_id}-${r.consignee_id}`].acknowledged_by}</span>
            : can(me, "recall:acknowledge-notice")
              ? <Button size="small" type="primary" onClick={() => setAcknowledging(r)}>{t("acknowledgeNotice")}</Button>
              : <Tag color={TONE.orange}>—</Tag> },
        ]} />
      <AcknowledgeModal notice={acknowledging} onClose={() => setAcknowledging(null)} onDone={(answer) => {
        setDone((d) => ({ ...d, [`${answer.recall_id}-${answer.consignee_id}`]: answer }));
        setAcknowledging(null);
        setRound((n) => n + 1);
      }} />
    </>
  );
}

function AcknowledgeModal({ notice, onClose, onDone }: { notice: Row | null; onClose: () => void; onDone: (answer: Row) => void }) {
  const t = useT();
  const me = useMe();
  const [form] = Form.useForm();
  const [error, setError] = useState<unknown>();
  return (
    <Modal open={!!notice} title={notice ? `${t("acknowledgeNotice")} · ${notice.number} ${notice.title}` : ""} onCancel={onClose}
      onOk={() => form.submit()} okText={t("confirm")} destroyOnHidden>
      <ProblemAlert error={error} />
      <Form form={form} layout="vertical" name="ack" initialValues={{ acknowledged_by: me?.name }} onFinish={async (v) => {
        setError(undefined);
        try {
          onDone(await api<Row>(`traceability/recall-notices/${notice!.recall_id}/acknowledgement`, { body: {
            acknowledged_by: v.acknowledged_by.trim(), note: v.note?.trim() || undefined, consignee_id: notice!.consignee_id } }));
        } catch (e) { setError(e); }
      }}>
        <Form.Item name="acknowledged_by" label={t("acknowledgedBy")} rules={[{ required: true, whitespace: true }]}><Input /></Form.Item>
        <Form.Item name="note" label={t("x_note")}><Input.TextArea rows={2} /></Form.Item>
      </Form>
    </Modal>
  );
}

export function SelloutUploadPage() {
  const t = useT();
  const me = useMe();
  const mine = scopeOf(me, "distributor");
  const [files, setFiles] = useState<UploadFile[]>([]);
  const [share, setShare] = useState<number | null>(null);
  const [answer, setAnswer] = useState<Row | null>(null);
  const [error, setError] = useState<unknown>();
  const [key, setKey] = useState(newKey);
  const submit = async (v: Row) => {
    const file = files[0]?.originFileObj;
    if (!file) return;
    const form = new FormData();
    form.append("distributor_id", v.distributor_id);
    form.append("report_reference", v.report_reference);
    form.append("period_start", v.period[0].format("YYYY-MM-DD"));
    form.append("period_end", v.period[1].format("YYYY-MM-DD"));
    form.append("file", file, file.name);
    setError(undefined);
    setAnswer(null);
    setShare(0);
    try {
      setAnswer(await upload<Row>("traceability/sellout-reports/upload", form, setShare));
      setKey(newKey());
    } catch (e) { setError(e); }
    setShare(1);
  };
  return (
    <Card title={t("selloutUpload")} style={{ maxWidth: 900 }} key={key}>
      <Typography.Paragraph type="secondary">CSV / xlsx: hospital_id | hospital_name (医院名称), gtin, lot, quantity, sold_at[, serials]</Typography.Paragraph>
      <Form layout="vertical" onFinish={submit} initialValues={{ distributor_id: mine ?? undefined, period: [dayjs().startOf("month"), dayjs()] }}>
        <Form.Item name="distributor_id" label={t("distributor")} rules={[{ required: true }]}><Input disabled={!!mine} /></Form.Item>
        <Form.Item name="report_reference" label={t("x_reference2")} rules={[{ required: true }]}><Input /></Form.Item>
        <Form.Item name="period" label={t("period")} rules={[{ required: true }]}><DatePicker.RangePicker /></Form.Item>
        <Form.Item label={t("file")} required>
          <Upload beforeUpload={() => false} maxCount={1} fileList={files} onChange={({ fileList }) => setFiles(fileList)} accept=".csv,.xlsx">
            <Button>{t("file")}…</Button>
          </Upload>
        </Form.Item>
        <Button type="primary" htmlType="submit" disabled={!files.length}>{t("upload")}</Button>
      </Form>
      {share !== null && <Progress aria-label={`${t("upload")} ${t("progress")}`} percent={Math.round(Math.max(share, 0) * 100)} status={error ? "exception" : share >= 1 ? "success" : "active"} />}
      <ProblemAlert error={error} />
      {answer && <div data-testid="upload-answer">
        <Alert type={answer.rows_rejected.length ? "warning" : "success"} style={{ margin: "12px 0" }}
          title={`${answer.report.report_reference}: ${answer.rows_accepted} ✓, ${answer.rows_rejected.length} ✕`} />
        {answer.rows_rejected.length > 0 && <Table<Row> size="small" rowKey={(r) => `${r.row}-${r.field}`} dataSource={answer.rows_rejected} pagination={false}
          data-testid="rows-rejected" columns={[{ title: t("row"), dataIndex: "row" }, { title: t("field"), dataIndex: "field" },
            { title: t("rule"), dataIndex: "rule", render: (r) => <code>{r}</code> }, { title: t("message"), dataIndex: "message" }]} />}
      </div>}
    </Card>
  );
}

export function SelloutReportsPage() {
  const t = useT();
  return (
    <>
      <Typography.Title level={2} className="page-title">{t("selloutReports")}</Typography.Title>
      <PagedTable<Row> path="traceability/sellout-reports" rowKey="report_id" testId="sellout-reports"
        columns={[
          { title: t("x_reference2"), dataIndex: "report_reference" },
          { title: t("distributor"), dataIndex: "distributor_name", render: (n, r) => <Named name={n} id={r.distributor_id} /> },
          { title: t("period"), render: (_, r) => `${r.period_start} – ${r.period_end}` },
          { title: t("units"), dataIndex: "units", align: "right" }, { title: t("lineCount"), dataIndex: "line_count", align: "right" },
          { title: t("flagged"), dataIndex: "flagged_lines", align: "right", render: (n) => n ? <Tag color={TONE.red}>{n}</Tag> : 0 },
          { title: t("when"), dataIndex: "reported_at", render: dateTime },
        ]} />
    </>
  );
}
