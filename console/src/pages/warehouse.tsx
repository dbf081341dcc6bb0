// The warehouse: picking an order's reserved units by UDI scan, then dispatch; stock by lot and expiry with what
// nears expiry highlighted.
import { Alert, Button, Card, Checkbox, DatePicker, Form, Input, InputNumber, Modal, Select, Space, Switch, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { api, newKey, type Page } from "../api";
import { ExpiryTag, Named, PagedTable, ProblemAlert, StatusTag, useDirectory, useLoad, useMe, TONE } from "../components";
import { can } from "../session";
import { dateTime, dayjs } from "../format";
import { useT } from "../i18n";
import { type ParsedUdi, ScanInput } from "../scan";

type Row = Record<string, any>;

export function PickingPage() {
  const t = useT();
  const navigate = useNavigate();
  const { orderId } = useParams();
  if (!orderId) {
    return (
      <Card title={t("picking")}>
        <Form layout="inline" onFinish={(v) => navigate(`/warehouse/picking/${v.order.trim()}`)} style={{ marginBottom: 16 }}>
          <Form.Item name="order" label={t("orderId")} rules={[{ required: true, pattern: /^\s*[0-9a-f-]{36}\s*$/i }]}>
            <Input style={{ width: 360 }} aria-label={t("orderId")} autoFocus />
          </Form.Item>
          <Form.Item><Button type="primary" htmlType="submit">{t("open")}</Button></Form.Item>
        </Form>
        <PickList />
      </Card>
    );
  }
  return <Picking orderId={orderId} />;
}

function Picking({ orderId }: { orderId: string }) {
  const t = useT();
  const fulfilment = useLoad(() => api<Row>(`inventory/fulfilments/${orderId}`), [orderId]);
  const me = useMe();
  const [returning, setReturning] = useState<Row | null>(null);
  const [scans, setScans] = useState<{ raw: string; parsed: ParsedUdi }[]>([]);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const f = fulfilment.data;
  const scannedOf = (line: Row) => scans.filter((s) => s.parsed.gtin === line.gtin && s.parsed.lot === line.lot)
    .reduce((n, s) => n + (s.parsed.quantity ?? 1), 0);
  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api(`inventory/fulfilments/${orderId}/picks`, { body: { scans: scans.map((s) => s.raw) } });
      setScans([]);
      fulfilment.reload();
    } catch (e) { setError(e); } finally { setBusy(false); }
  };
  const dispatch = async (v: { carrier: string; tracking_number: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      await api(`inventory/fulfilments/${orderId}/dispatch`, { body: v });
      fulfilment.reload();
    } catch (e) { setError(e); } finally { setBusy(false); }
  };
  const delivered = async (shipmentId: string) => {
    setError(undefined);
    try {
      await api(`inventory/fulfilments/${orderId}/shipments/${shipmentId}/delivery`, { body: {} });
      fulfilment.reload();
    } catch (e) { setError(e); }
  };
  return (
    <Card title={`${t("picking")} · ${orderId.slice(0, 8)}`} loading={fulfilment.loading && !f}>
      <ProblemAlert error={fulfilment.error ?? error} />
      {f && <>
        <Space style={{ marginBottom: 12 }}><span>{t("status")}:</span><span data-testid="fulfilment-status"><StatusTag value={f.status} /></span>
          {f.holds?.map((h: string) => <StatusTag key={h} value={h} />)}</Space>
        <Typography.Title level={3} style={{ fontSize: 16 }}>{t("reserved")}</Typography.Title>
        <Table<Row> size="small" rowKey={(r) => `${r.line_no ?? ""}-${r.gtin}-${r.lot}-${r.warehouse}`} dataSource={f.reserved} pagination={false}
          scroll={{ x: "max-content" }} data-testid="reserved"
          columns={[{ title: t("gtin"), dataIndex: "gtin" }, { title: t("lot"), dataIndex: "lot" },
            { title: t("expiry"), dataIndex: "expiry", render: (e) => <ExpiryTag expiry={e} /> },
            { title: t("warehouseCode"), dataIndex: "warehouse" }, { title: t("location"), dataIndex: "location" },
            { title: t("quantity"), dataIndex: "quantity", align: "right" },
            { title: t("scans"), render: (_, r) => { const n = scannedOf(r); return <Tag color={TONE[n === r.quantity ? "green" : n > r.quantity ? "red" : "grey"]}>{n} / {r.quantity}</Tag>; } }]} />
        {f.reserved.length > 0 && <div style={{ maxWidth: 560, marginTop: 16 }}>
          <ScanInput onScan={(parsed, raw) => setScans((s) => [...s, { raw, parsed }])} />
          <Space style={{ marginTop: 8 }}>
            <Button type="primary" disabled={!scans.length} loading={busy} onClick={confirm}>{t("confirmPicks")} ({scans.length})</Button>
            <Button disabled={!scans.length} onClick={() => setScans([])}>{t("reset")}</Button>
          </Space>
          <Typography.Title level={3} style={{ fontSize: 16, marginTop: 16 }}>{t("dispatch")}</Typography.Title>
          <Form layout="inline" onFinish={dispatch} initialValues={{ carrier: "SF Express" }} style={{ rowGap: 8 }}>
            <Form.Item name="carrier" label={t("carrier")} rules={[{ required: true }]}><Input /></Form.Item>
            <Form.Item name="tracking_number" label={t("tracking")} rules={[{ required: true }]}><Input aria-label={t("tracking")} /></Form.Item>
            <Form.Item><Button type="primary" htmlType="submit" loading={busy}>{t("dispatch")}</Button></Form.Item>
          </Form>
        </div>}
        <Typography.Title level={3} style={{ fontSize: 16, marginTop: 16 }}>{t("shipments")}</Typography.Title>
        <Table<Row> size="small" rowKey="shipment_id" dataSource={f.shipments} pagination={false} scroll={{ x: "max-content" }} data-testid="fulfilment-shipments"
          columns={[{ title: "ID", dataIndex: "shipment_id", render: (v) => String(v).slice(0, 8) }, { title: t("carrier"), dataIndex: "carrier" },
            { title: t("tracking"), dataIndex: "tracking_number" },
            { title: t("lines"), dataIndex: "lines", render: (lines: Row[]) => (lines ?? []).map((l, i) => <div key={i}>{l.gtin} · {l.lot} × {l.quantity}</div>) },
            { title: t("delivered"), dataIndex: "delivered_at", render: (v, s) => v ? dateTime(v)
                : <Button size="small" onClick={() => delivered(s.shipment_id)}>{t("delivered")}</Button> },
            { title: t("accepted"), dataIndex: "accepted_by", render: (v) => v ?? "—" },
            { title: t("actions"), render: (_, s) => can(me, "return:record") && <Button size="small" onClick={() => setReturning(s)}>{t("recordReturn")}</Button> }]} />
        <ReturnModal orderId={orderId} shipment={returning} onClose={() => setReturning(null)} onDone={() => { setReturning(null); fulfilment.reload(); }} />
      </>}
    </Card>
  );
}

export function StockPage() {
  const t = useT();
  const [nearOnly, setNearOnly] = useState(false);
  return (
    <>
      <Typography.Title level={2} className="page-title">{t("stock")}</Typography.Title>
      <Checkbox checked={nearOnly} onChange={(e) => setNearOnly(e.target.checked)} style={{ marginBottom: 12 }}>{t("onlyNearExpiry")}</Checkbox>
      <PagedTable<Row> path="inventory/stock" rowKey={(r) => `${r.gtin}-${r.lot}-${r.warehouse}-${r.location ?? ""}`} testId="stock"
        query={{ expiring_before: nearOnly ? dayjs().add(90, "day").format("YYYY-MM-DD") : undefined }}
        rowClassName={(r) => r.near_expiry ? "row-near-expiry" : ""}
        filters={<>
          <Form.Item name="gtin" label={t("gtin")}><Input allowClear style={{ width: 170 }} /></Form.Item>
          <Form.Item name="lot" label={t("lot")}><Input allowClear style={{ width: 130 }} /></Form.Item>
          <Form.Item name="warehouse" label={t("warehouseCode")}><Input allowClear style={{ width: 110 }} /></Form.Item>
          <Form.Item name="status" label={t("status")}><Select allowClear style={{ width: 130 }} options={["quarantine", "available", "on_hold", "rejected"].map((s) => ({ value: s }))} /></Form.Item>
        </>}
        columns={[
          { title: t("gtin"), dataIndex: "gtin", render: (g, r) => <span>{r.item_name ?? ""} <Typography.Text type="secondary">{g}</Typography.Text></span> },
          { title: t("lot"), dataIndex: "lot" }, { title: t("warehouseCode"), dataIndex: "warehouse" }, { title: t("location"), dataIndex: "location" },
          { title: t("expiry"), dataIndex: "expiry", render: (e) => <ExpiryTag expiry={e} /> },
          { title: t("status"), dataIndex: "status", render: (s) => <StatusTag value={s} /> },
          { title: t("x_on_hand"), dataIndex: "on_hand", align: "right" }, { title: t("x_allocated2"), dataIndex: "allocated", align: "right" },
          { title: t("x_available"), dataIndex: "available", align: "right" },
        ]} />
    </>
  );
}

export function ReceivingPage() {
  const t = useT();
  const suppliers = useLoad(() => api<Page<Row>>("inventory/suppliers", { query: { limit: 200 } }), []);
  const items = useLoad(() => api<Page<Row>>("inventory/items", { query: { limit: 500 } }), []);
  const [key, setKey] = useState(newKey);
  const [answer, setAnswer] = useState<Row | null>(null);
  const [error, setError] = useState<unknown>();
  const [form] = Form.useForm();
  const receive = async (v: Row) => {
    setError(undefined);
    setAnswer(null);
    try {
      setAnswer(await api<Row>("inventory/goods-receipts", { idempotencyKey: key, body: { supplier_id: v.supplier_id,
        lines: v.lines.map((l: Row) => ({ ...l, expiry: l.expiry.format("YYYY-MM-DD"), location: l.location || undefined })) } }));
      setKey(newKey());
      form.resetFields();
    } catch (e) { setError(e); }
  };
  return (
    <Card title={t("receipts")}>
      <ProblemAlert error={suppliers.error ?? error} />
      {answer && <Alert type={answer.warnings.length ? "warning" : "success"} style={{ marginBottom: 12 }} title={`${answer.receipt_id.slice(0, 8)} · ${t("quality")}: quarantine`}
        description={answer.warnings.map((w: Row) => `${w.gtin}/${w.lot}: ${w.rule} — ${w.detail}`).join("; ") || undefined} />}
      <Form form={form} layout="vertical" onFinish={receive} initialValues={{ lines: [{ quantity: 1, warehouse: "WH-SH" }] }}>
        <Form.Item name="supplier_id" label={t("x_supplier")} rules={[{ required: true }]}>
          <Select showSearch optionFilterProp="label" options={(suppliers.data?.items ?? []).map((s) => ({ value: s.supplier_id, label: s.name }))} />
        </Form.Item>
        <Form.List name="lines">
          {(fields, { add, remove }) => <>
            {fields.map((field, n) => (
              <Space key={field.key} wrap align="baseline">
                <Form.Item name={[field.name, "gtin"]} label={`${t("gtin")} ${n + 1}`} rules={[{ required: true }]}>
                  <Select showSearch optionFilterProp="label" style={{ width: 280 }} options={(items.data?.items ?? []).map((i) => ({ value: i.gtin, label: `${i.gtin} ${i.name ?? ""}` }))} />
                </Form.Item>
                <Form.Item name={[field.name, "lot"]} label={t("lot")} rules={[{ required: true }]}><Input style={{ width: 130 }} /></Form.Item>
                <Form.Item name={[field.name, "expiry"]} label={t("expiry")} rules={[{ required: true }]}><DatePicker /></Form.Item>
                <Form.Item name={[field.name, "quantity"]} label={t("quantity")} rules={[{ required: true }]}><InputNumber min={1} /></Form.Item>
                <Form.Item name={[field.name, "warehouse"]} label={t("warehouseCode")} rules={[{ required: true }]}><Input style={{ width: 100 }} /></Form.Item>
                <Form.Item name={[field.name, "location"]} label={t("location")}><Input style={{ width: 100 }} /></Form.Item>
                {fields.length > 1 && <Button onClick={() => remove(field.name)}>{t("remove")}</Button>}
              </Space>))}
            <Form.Item><Button onClick={() => add({ quantity: 1, warehouse: "WH-SH" })}>{t("addLine")}</Button></Form.Item>
          </>}
        </Form.List>
        <Button type="primary" htmlType="submit">{t("save")}</Button>
      </Form>
    </Card>
  );
}

/** Quality: lots waiting for inspection or held, released or rejected (with a reason), held and released. */
export function QualityPage() {
  const t = useT();
  const me = useMe();
  const [round, setRound] = useState(0);
  const [error, setError] = useState<unknown>();
  const [asking, setAsking] = useState<{ path: string; body: Row } | null>(null);
  const [form] = Form.useForm();
  const send = async (path: string, body: Row) => {
    setError(undefined);
    try { await api(`inventory/${path}`, { body }); setRound((n) => n + 1); } catch (e) { setError(e); }
  };
  // A release after inspection needs no words; a rejection, a hold and its release are recorded with a reason.
  const act = (path: string, body: Row) => body.result === "released" ? send(path, body) : setAsking({ path, body });
  return (
    <>
      <Typography.Title level={2} className="page-title">{t("quality")}</Typography.Title>
      <ProblemAlert error={error} />
      <PagedTable<Row> path="inventory/stock" rowKey={(r) => `${r.gtin}-${r.lot}-${r.warehouse}-${r.location ?? ""}`} reloadKey={round} label={t("quality")}
        filters={<Form.Item name="status" label={t("status")}><Select allowClear style={{ width: 140 }} options={["quarantine", "on_hold", "available", "rejected"].map((s) => ({ value: s }))} /></Form.Item>}
        columns={[
          { title: t("gtin"), dataIndex: "gtin", render: (g, r) => <span>{r.item_name ?? ""} <Typography.Text type="secondary">{g}</Typography.Text></span> },
          { title: t("lot"), dataIndex: "lot" }, { title: t("warehouseCode"), dataIndex: "warehouse" },
          { title: t("expiry"), dataIndex: "expiry", render: (e) => <ExpiryTag expiry={e} /> },
          { title: t("status"), dataIndex: "status", render: (s) => <StatusTag value={s} /> },
          { title: t("x_on_hand"), dataIndex: "on_hand", align: "right" },
          { title: t("actions"), render: (_, r) => <Space>
            {r.status === "quarantine" && can(me, "quality:inspect") && <>
              <Button size="small" onClick={() => act("quality/inspections", { gtin: r.gtin, lot: r.lot, warehouse: r.warehouse, result: "released" })}>{t("release")}</Button>
              <Button size="small" danger onClick={() => act("quality/inspections", { gtin: r.gtin, lot: r.lot, warehouse: r.warehouse, result: "rejected" })}>{t("reject")}</Button></>}
            {r.status === "available" && can(me, "quality:hold") && <Button size="small" onClick={() => act("quality/holds", { gtin: r.gtin, lot: r.lot })}>{t("placeHold")}</Button>}
            {r.status === "on_hold" && can(me, "quality:release-hold") && <Button size="small" onClick={() => act("quality/holds/release", { gtin: r.gtin, lot: r.lot })}>{t("release")}</Button>}
          </Space> },
        ]} />
      <Modal open={!!asking} title={asking ? `${asking.body.gtin} · ${asking.body.lot}` : ""} okText={t("confirm")} destroyOnHidden
        onCancel={() => setAsking(null)} onOk={() => form.submit()}>
        <Form form={form} layout="vertical" onFinish={async (v) => { const a = asking!; setAsking(null); await send(a.path, { ...a.body, reason: v.reason }); }}>
          <Form.Item name="reason" label={t("reason")} rules={[{ required: true }]}><Input.TextArea rows={2} /></Form.Item>
        </Form>
      </Modal>
    </>
  );
}

export function ReturnsPage() {
  const t = useT();
  const name = useDirectory();
  return (
    <>
      <Typography.Title level={2} className="page-title">{t("returns")}</Typography.Title>
      <PagedTable<Row> path="inventory/returns" rowKey={(r) => `${r.return_id}-${r.line_no}`}
        columns={[
          { title: t("when"), dataIndex: "returned_at", render: dateTime },
          { title: t("order"), dataIndex: "order_id", render: (v) => String(v).slice(0, 8) },
          { title: t("hospital"), dataIndex: "hospital_id", render: (id) => <Named id={id} name={name(id)} /> },
          { title: t("lot"), render: (_, r) => `${r.gtin} · ${r.lot}` }, { title: t("quantity"), dataIndex: "quantity", align: "right" },
          { title: t("reason"), dataIndex: "reason" }, { title: t("x_disposition"), dataIndex: "disposition" }, { title: t("warehouseCode"), dataIndex: "warehouse" },
        ]} />
    </>
  );
}

/** Goods coming back from a shipment: why, what becomes of them, how many of each lot; credited unless said not. */
function ReturnModal({ orderId, shipment, onClose, onDone }: { orderId: string; shipment: Row | null; onClose: () => void; onDone: () => void }) {
  const t = useT();
  const [form] = Form.useForm();
  const [key] = useState(newKey);
  const [error, setError] = useState<unknown>();
  const lines: Row[] = shipment?.lines ?? [];
  return (
    <Modal open={!!shipment} title={t("recordReturn")} onCancel={onClose} onOk={() => form.submit()} okText={t("confirm")} destroyOnHidden>
      <ProblemAlert error={error} />
      <Form form={form} layout="vertical" initialValues={{ reason: "damaged", disposition: "quarantine", warehouse: "WH-SH-RET", credit: true }}
        onFinish={async (v) => {
          setError(undefined);
          const returned = lines.map((l, n) => ({ gtin: l.gtin, lot: l.lot, quantity: Number(v[`q${n}`] ?? 0) })).filter((l) => l.quantity > 0);
          try {
            await api("inventory/returns", { idempotencyKey: key, body: { order_id: orderId, shipment_id: shipment!.shipment_id,
              reason: v.reason, disposition: v.disposition, warehouse: v.warehouse, note: v.note || undefined, credit: v.credit, lines: returned } });
            onDone();
          } catch (e) { setError(e); }
        }}>
        <Form.Item name="reason" label={t("reason")}><Select options={["damaged", "expired", "wrong_item", "recall", "other"].map((r) => ({ value: r }))} /></Form.Item>
        <Form.Item name="disposition" label={t("x_disposition")}><Select options={["restock", "quarantine", "scrap"].map((r) => ({ value: r }))} /></Form.Item>
        <Form.Item name="warehouse" label={t("warehouseCode")} rules={[{ required: true }]}><Input /></Form.Item>
        {lines.map((l, n) => <Form.Item key={n} name={`q${n}`} label={`${l.gtin} · ${l.lot} (≤ ${l.quantity})`}><InputNumber min={0} max={l.quantity} /></Form.Item>)}
        <Form.Item name="credit" label={t("x_credit_the_customer")} valuePropName="checked"><Switch /></Form.Item>
        <Form.Item name="note" label={t("x_note")}><Input.TextArea rows={2} /></Form.Item>
      </Form>
    </Modal>
  );
}

/** The pick list (GET /fulfilments?waiting=true): each order's units reserved and not yet shipped, how many are
 * picked and what holds it, the earliest requested delivery first; a picker opens the next one from here. */
function PickList() {
  const t = useT();
  const name = useDirectory();
  return (
    <PagedTable<Row> path="inventory/fulfilments" query={{ waiting: true }} rowKey="order_id" testId="pick-list" label={t("pickList")}
      columns={[
        { title: t("order"), dataIndex: "order_id", render: (id) => <Link to={`/warehouse/picking/${id}`}>{String(id).slice(0, 8)}</Link> },
        { title: t("hospital"), dataIndex: "hospital_name", render: (n, r) => <Named name={n} id={r.hospital_id} /> },
        { title: t("distributor"), dataIndex: "distributor_id", render: (id) => id ? <Named id={id} name={name(id)} /> : "—" },
        { title: t("deliveryDate"), dataIndex: "requested_delivery_date", render: (d) => d ?? "—" },
        { title: t("status"), dataIndex: "state", render: (s, r) => <Space size={2}><StatusTag value={s} />{r.holds.map((h: string) => <StatusTag key={h} value={h} />)}</Space> },
        { title: t("picked"), render: (_, r) => <Tag color={TONE[r.to_pick === 0 ? "green" : "grey"]}>{r.picked} / {r.reserved}</Tag> },
        { title: t("updatedAt"), dataIndex: "updated_at", render: dateTime },
      ]} />
  );
}
