// Finance: invoices (with their PDFs), payments, aging (as of a day, by bucket) and the dunning list.
import { Button, Card, DatePicker, Form, Input, InputNumber, Modal, Segmented, Select, Space, Switch, Table, Tag, Typography } from "antd";
import type { Dayjs } from "dayjs";
import { useState } from "react";
import { api, newKey, type Page } from "../api";
import { DownloadButton, Money, Named, PagedTable, ProblemAlert, useLoad, useMe, TONE } from "../components";
import { dateTime, dayjs, money } from "../format";
import { can, scopeOf } from "../session";
import { useLanguage, useT } from "../i18n";

type Row = Record<string, any>;

export function InvoicesPage() {
  const t = useT();
  const me = useMe();
  const { language } = useLanguage();
  const [crediting, setCrediting] = useState<Row | null>(null);
  const [round, setRound] = useState(0);
  return (
    <>
      <Typography.Title level={2} className="page-title">{t("invoices")}</Typography.Title>
      <PagedTable<Row> path="billing/invoices" rowKey="invoice_id" testId="invoices" reloadKey={round}
        filters={<Form.Item name="order_id" label={t("orderId")}><Input allowClear style={{ width: 320 }} /></Form.Item>}
        columns={[
          { title: t("invoice"), dataIndex: "invoice_id", render: (v) => String(v).slice(0, 8) },
          { title: t("order"), dataIndex: "order_id", render: (v) => String(v).slice(0, 8) },
          { title: t("hospital"), dataIndex: "hospital_name", render: (n, r) => <Named name={n} id={r.hospital_id} /> },
          { title: t("distributor"), dataIndex: "distributor_name", render: (n, r) => r.bill_to_distributor_id ? <Named name={n} id={r.bill_to_distributor_id} /> : "—" },
          { title: t("x_net"), dataIndex: "net_total", align: "right", render: (v, r) => <Money value={v} currency={r.currency} /> },
          { title: t("x_vat"), dataIndex: "vat_total", align: "right", render: (v, r) => <Money value={v} currency={r.currency} /> },
          { title: t("total"), dataIndex: "gross_total", align: "right", render: (v, r) => <Money value={v} currency={r.currency} /> },
          { title: t("issuedOn"), dataIndex: "raised_at", render: dateTime },
          { title: "PDF", render: (_, r) => <DownloadButton path={`billing/invoices/${r.invoice_id}/pdf`} query={{ lang: language }} name={`invoice-${r.invoice_id}.pdf`} label={t("download")} /> },
          ...(can(me, "invoice:credit") ? [{ title: t("actions"), render: (_: unknown, r: Row) => <Button size="small" onClick={() => setCrediting(r)}>{t("creditNote")}</Button> }] : []),
        ]} />
      <CreditNoteModal invoice={crediting} onClose={() => setCrediting(null)} onDone={() => { setCrediting(null); setRound((n) => n + 1); }} />
    </>
  );
}

/** Money received, typed as the bank statement shows it: the amount stays a decimal string from the field to the
 * service (never a float). Allocated at once to the oldest due invoices unless finance allocates it later. */
function RecordPayment({ onDone }: { onDone: () => void }) {
  const t = useT();
  const [form] = Form.useForm();
  const [key, setKey] = useState(newKey);
  const [error, setError] = useState<unknown>();
  const customers = useLoad(async () => {
    const [h, d] = await Promise.all([api<Page<Row>>("channel/hospitals", { query: { limit: 500 } }), api<Page<Row>>("channel/distributors", { query: { limit: 500 } })]);
    return [...h.items.map((r) => ({ value: r.hospital_id, label: r.name })), ...d.items.map((r) => ({ value: r.distributor_id, label: r.name }))];
  }, []);
  return (
    <Card size="small" title={t("recordPayment")} style={{ marginBottom: 16 }}>
      <ProblemAlert error={error ?? customers.error} />
      <Form form={form} layout="inline" style={{ rowGap: 8 }} initialValues={{ received_on: dayjs(), currency: "CNY", allocate: true }}
        onFinish={async (v) => {
          setError(undefined);
          try {
            await api("billing/payments", { idempotencyKey: key, body: { ...v, amount: v.amount.trim(), received_on: v.received_on.format("YYYY-MM-DD") } });
            setKey(newKey());
            form.resetFields();
            onDone();
          } catch (e) { setError(e); }
        }}>
        <Form.Item name="customer_id" label={t("customer")} rules={[{ required: true }]}>
          <Select showSearch optionFilterProp="label" style={{ width: 240 }} options={customers.data ?? []} />
        </Form.Item>
        <Form.Item name="amount" label={t("amount")} rules={[{ required: true, pattern: /^\s*\d{1,16}(\.\d{1,2})?\s*$/ }]}><Input style={{ width: 140 }} inputMode="decimal" /></Form.Item>
        <Form.Item name="currency" label={t("x_currency")}><Input style={{ width: 70 }} /></Form.Item>
        <Form.Item name="received_on" label={t("when")}><DatePicker /></Form.Item>
        <Form.Item name="bank_reference" label={t("x_reference")} rules={[{ required: true }]}><Input style={{ width: 160 }} /></Form.Item>
        <Form.Item name="payer" label={t("x_payer")} rules={[{ required: true }]}><Input style={{ width: 200 }} /></Form.Item>
        <Form.Item name="allocate" label={t("allocate")} valuePropName="checked"><Switch /></Form.Item>
        <Form.Item><Button type="primary" htmlType="submit">{t("save")}</Button></Form.Item>
      </Form>
    </Card>
  );
}

export function PaymentsPage() {
  const t = useT();
  const me = useMe();
  const [round, setRound] = useState(0);
  const [error, setError] = useState<unknown>();
  const allocate = async (paymentId: string) => {
    setError(undefined);
    try { await api(`billing/payments/${paymentId}/allocations`, { body: { allocations: [] } }); setRound((n) => n + 1); } catch (e) { setError(e); }
  };
  return (
    <>
      <Typography.Title level={2} className="page-title">{t("payments")}</Typography.Title>
      {can(me, "payment:record") && <RecordPayment onDone={() => setRound((n) => n + 1)} />}
      <ProblemAlert error={error} />
      <PagedTable<Row> path="billing/payments" rowKey="payment_id" reloadKey={round} testId="payments"
        columns={[
          { title: t("customer"), dataIndex: "customer_name", render: (n, r) => <Named name={n} id={r.customer_id} /> },
          { title: t("x_payer"), dataIndex: "payer" }, { title: t("x_reference"), dataIndex: "bank_reference" },
          { title: t("when"), dataIndex: "received_on" },
          { title: t("amount"), dataIndex: "booked", align: "right", render: (v, r) => <Money value={v} currency={r.currency} /> },
          { title: t("x_allocated"), dataIndex: "allocated", align: "right", render: (v, r) => <Money value={v} currency={r.currency} /> },
          { title: t("x_unapplied"), dataIndex: "unapplied", align: "right", render: (v, r) => <Money value={v} currency={r.currency} /> },
          { title: t("status"), dataIndex: "reversed", render: (v) => v ? <Tag color={TONE.red}>reversed</Tag> : "" },
          { title: t("actions"), render: (_, r) => !r.reversed && Number(r.unapplied) > 0 && can(me, "payment:allocate") &&
            <Button size="small" onClick={() => allocate(r.payment_id)}>{t("allocate")}</Button> },
        ]} />
    </>
  );
}

export function DunningPage() {
  const t = useT();
  return (
    <>
      <Typography.Title level={2} className="page-title">{t("dunning")}</Typography.Title>
      <PagedTable<Row> path="billing/dunning" rowKey="invoice_id" rowClassName={(r) => r.days_overdue > 90 ? "row-overdue" : ""}
        columns={[
          { title: t("invoiceNo"), dataIndex: "number" },
          { title: t("customer"), dataIndex: "customer_name", render: (n, r) => <Named name={n} id={r.customer_id} /> },
          { title: t("contact"), dataIndex: "contact", render: (c) => c ? [c.name, c.phone, c.email].filter(Boolean).join(" · ") : "—" },
          { title: t("issuedOn"), dataIndex: "issued_on" }, { title: t("dueOn"), dataIndex: "due_on" },
          { title: t("overdue"), dataIndex: "days_overdue", align: "right", render: (d) => <Tag color={TONE[d > 90 ? "red" : "orange"]}>{d}d</Tag> },
          { title: t("open_amount"), dataIndex: "open", align: "right", render: (v) => <Money value={v} /> },
        ]} />
    </>
  );
}

/** A customer's statement (对账单) for a period as the account gives it now; a portal user sees its own. */
export function StatementPage() {
  const t = useT();
  const me = useMe();
  const own = scopeOf(me, "hospital") ?? scopeOf(me, "distributor");
  const [customer, setCustomer] = useState<string | undefined>(own ?? undefined);
  const [period, setPeriod] = useState<[Dayjs, Dayjs]>([dayjs().startOf("month"), dayjs()]);
  const customers = useLoad(async () => {
    if (own) return [];
    const [h, d] = await Promise.all([api<Page<Row>>("channel/hospitals", { query: { limit: 500 } }), api<Page<Row>>("channel/distributors", { query: { limit: 500 } })]);
    return [...h.items.map((r) => ({ value: r.hospital_id, label: r.name })), ...d.items.map((r) => ({ value: r.distributor_id, label: r.name }))];
  }, [own]);
  const statement = useLoad(() => customer ? api<Row>(`billing/customers/${customer}/statement`, { query: { from: period[0].format("YYYY-MM-DD"), to: period[1].format("YYYY-MM-DD") } }) : Promise.resolve(null), [customer, period[0].valueOf(), period[1].valueOf()]);
  const s = statement.data;
  return (
    <>
      <Typography.Title level={2} className="page-title">{t("statements")}</Typography.Title>
      <Space wrap style={{ marginBottom: 12 }}>
        {!own && <Select showSearch optionFilterProp="label" style={{ width: 280 }} placeholder={t("customer")} aria-label={t("customer")}
          value={customer} onChange={setCustomer} options={customers.data ?? []} />}
        <DatePicker.RangePicker value={period} onChange={(v) => v?.[0] && v?.[1] && setPeriod([v[0], v[1]])} />
      </Space>
      <ProblemAlert error={customers.error ?? statement.error} />
      {s && <Card size="small" data-testid="statement">
        <Space wrap size="large" style={{ marginBottom: 12 }}>
          <span>{s.period_start} – {s.period_end}</span>
          <span>期初 opening <Money value={s.opening_balance} currency={s.currency} /></span>
          <span>期末 closing <Money value={s.closing_balance} currency={s.currency} /></span>
        </Space>
        <Table<Row> size="small" rowKey="line_no" dataSource={s.lines} pagination={{ pageSize: 20 }} scroll={{ x: "max-content" }}
          columns={[{ title: "#", dataIndex: "line_no" }, { title: t("kind"), dataIndex: "kind" }, { title: "No.", dataIndex: "number" },
            { title: t("when"), dataIndex: "on" }, { title: t("dueOn"), dataIndex: "due_on" },
            { title: t("amount"), dataIndex: "amount", align: "right", render: (v) => <Money value={v} currency={s.currency} /> },
            { title: t("balance"), dataIndex: "balance", align: "right", render: (v) => v === undefined ? "" : <Money value={v} currency={s.currency} /> },
            { title: t("x_dispute"), dataIndex: "dispute", render: (d) => d ? <Tag color={TONE.orange}>{d.reason ?? "disputed"}</Tag> : "" }]} />
        <Space wrap>{Object.entries(s.aging ?? {}).map(([bucket, amount]) => <Tag key={bucket}>{bucket}: {money(amount as string, s.currency)}</Tag>)}</Space>
      </Card>}
    </>
  );
}

/** A credit note (红字) against an invoice: everything left of it, or named lines by units or a net amount. */
function CreditNoteModal({ invoice, onClose, onDone }: { invoice: Row | null; onClose: () => void; onDone: () => void }) {
  const t = useT();
  const [form] = Form.useForm();
  const [key] = useState(newKey);
  const [error, setError] = useState<unknown>();
  const full: boolean = Form.useWatch("full", form) ?? true;
  return (
    <Modal open={!!invoice} title={`${t("creditNote")} · ${String(invoice?.invoice_id ?? "").slice(0, 8)}`} onCancel={onClose} onOk={() => form.submit()} okText={t("confirm")} destroyOnHidden>
      <ProblemAlert error={error} />
      <Form form={form} layout="vertical" initialValues={{ reason: "invoicing_error", full: true }} onFinish={async (v) => {
        setError(undefined);
        const lines = full ? [] : [{ line_no: v.line_no, ...(v.net_amount ? { net_amount: String(v.net_amount).trim() } : { quantity: v.quantity }) }];
        try {
          await api(`billing/invoices/${invoice!.invoice_id}/credit-notes`, { idempotencyKey: key, body: { reason: v.reason, full, lines, note: v.note || undefined } });
          onDone();
        } catch (e) { setError(e); }
      }}>
        <Form.Item name="reason" label={t("reason")}><Select options={["return", "sales_allowance", "invoicing_error", "other"].map((r) => ({ value: r }))} /></Form.Item>
        <Form.Item name="full" label={t("x_full")} valuePropName="checked"><Switch /></Form.Item>
        {!full && <Space wrap>
          <Form.Item name="line_no" label={t("x_line")} rules={[{ required: true }]}><InputNumber min={1} /></Form.Item>
          <Form.Item name="quantity" label={t("quantity")}><InputNumber min={1} /></Form.Item>
          <Form.Item name="net_amount" label={t("x_net2")} rules={[{ pattern: /^\s*\d{1,16}(\.\d{1,2})?\s*$/ }]}><Input style={{ width: 140 }} /></Form.Item>
        </Space>}
        <Form.Item name="note" label={t("why")} rules={[{ required: true }]}><Input.TextArea rows={2} /></Form.Item>
      </Form>
    </Modal>
  );
}
