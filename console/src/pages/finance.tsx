// Finance: invoices (with their PDFs), payments, aging (as of a day, by bucket) and the dunning list.
import { Button, Card, DatePicker, Descriptions, Drawer, Form, Input, InputNumber, Modal, Radio, Select, Space, Switch, Table, Tabs, Tag, Typography } from "antd";
import type { Dayjs } from "dayjs";
import { useState } from "react";
import { api, newKey, type Page } from "../api";
import { DownloadButton, Money, Named, PagedTable, ProblemAlert, StatusTag, useLoad, useMe, TONE } from "../components";
import { addMoney, dateTime, dayjs, money, moneyAbove, positive } from "../format";
import { can, scopeOf } from "../session";
import { useLanguage, useStatus as useStatusWord, useT } from "../i18n";

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

/** Hospitals and distributors, for a customer picker: the name shown, the id kept. */
export function useCustomerOptions(skip = false) {
  return useLoad(async () => {
    if (skip) return [];
    const [h, d] = await Promise.all([api<Page<Row>>("channel/hospitals", { query: { limit: 500 } }), api<Page<Row>>("channel/distributors", { query: { limit: 500 } })]);
    return [...h.items.map((r) => ({ value: r.hospital_id as string, label: r.name as string })), ...d.items.map((r) => ({ value: r.distributor_id as string, label: r.name as string }))];
  }, [skip]);
}

/** Money received, typed as the bank statement shows it: the amount stays a decimal string from the field to the
 * service (never a float). Allocated at once to the oldest due invoices unless finance allocates it later. */
function RecordPayment({ onDone }: { onDone: () => void }) {
  const t = useT();
  const [form] = Form.useForm();
  const [key, setKey] = useState(newKey);
  const [error, setError] = useState<unknown>();
  const customers = useCustomerOptions();
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
  const [allocating, setAllocating] = useState<Row | null>(null);
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
          { title: t("actions"), render: (_, r) => !r.reversed && positive(r.unapplied) && can(me, "payment:allocate") && <Space wrap>
            <Button size="small" onClick={() => allocate(r.payment_id)}>{t("allocate")}</Button>
            <Button size="small" onClick={() => setAllocating(r)}>{t("allocateNamed")}</Button></Space> },
        ]} />
      <AllocateModal payment={allocating} onClose={() => setAllocating(null)} onDone={() => { setAllocating(null); setRound((n) => n + 1); }} />
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

/** Statements (对账单): those issued, each opened to confirm it or dispute its lines (the customer's own users) or to
 * resolve its disputes (finance); and the statement the account gives for any period now. A portal user sees its
 * own organisation's only, as the services answer it. */
export function StatementPage() {
  const t = useT();
  return (
    <>
      <Typography.Title level={2} className="page-title">{t("statements")}</Typography.Title>
      <Tabs items={[
        { key: "issued", label: t("issuedStatements"), children: <IssuedStatements /> },
        { key: "live", label: t("liveStatement"), children: <LiveStatement /> },
      ]} />
    </>
  );
}

const STATEMENT_STATUSES = ["sent", "confirmed", "disputed", "resolved"];

function IssuedStatements() {
  const t = useT();
  const me = useMe();
  const own = scopeOf(me, "hospital") ?? scopeOf(me, "distributor");
  const customers = useCustomerOptions(!!own);
  const [open, setOpen] = useState<Row | null>(null);
  const [round, setRound] = useState(0);
  return (
    <>
      <PagedTable<Row> path="billing/statements" rowKey="statement_id" testId="statements" reloadKey={round} label={t("issuedStatements")}
        filters={<>
          {!own && <Form.Item name="customer_id" label={t("customer")}><Select allowClear showSearch optionFilterProp="label" style={{ width: 240 }} options={customers.data ?? []} /></Form.Item>}
          <Form.Item name="status" label={t("status")}><StatusSelect values={STATEMENT_STATUSES} /></Form.Item>
        </>}
        columns={[
          { title: t("period"), render: (_, r) => <a onClick={() => setOpen(r)} role="button" tabIndex={0} onKeyDown={(e) => e.key === "Enter" && setOpen(r)}>{r.period_start} – {r.period_end}</a> },
          { title: t("customer"), dataIndex: "customer_name", render: (n, r) => <Named name={n} id={r.customer_id} /> },
          { title: t("x_closing"), dataIndex: "closing_balance", align: "right", render: (v, r) => <Money value={v} currency={r.currency} /> },
          { title: t("lineCount"), dataIndex: "lines", align: "right" },
          { title: t("status"), dataIndex: "status", render: (s, r) => <Space size={4}><StatusTag value={s} />{r.open_disputes > 0 && <Tag color={TONE.orange}>{r.open_disputes}</Tag>}</Space> },
          { title: t("x_confirmed_by"), dataIndex: "confirmed_by", render: (v) => v ?? "—" },
          { title: t("issuedOn"), dataIndex: "issued_at", render: dateTime },
          { title: t("actions"), render: (_, r) => <Button size="small" onClick={() => setOpen(r)}>{t("open")}</Button> },
        ]} />
      <StatementDrawer row={open} onClose={() => setOpen(null)} onChanged={() => setRound((n) => n + 1)} />
    </>
  );
}

/** A select of status words in the user's language (for a filter form). */
function StatusSelect({ values, ...rest }: { values: string[]; value?: string; onChange?: (v: string) => void }) {
  const status = useStatusWord();
  return <Select allowClear style={{ width: 140 }} options={values.map((v) => ({ value: v, label: status(v) }))} {...rest} />;
}

/** One issued statement: its lines; confirmed whole or lines disputed, each with the reason, by the customer's own
 * users; a disputed line resolved by finance (upheld: the customer is right; rejected: the line stands). */
function StatementDrawer({ row, onClose, onChanged }: { row: Row | null; onClose: () => void; onChanged: () => void }) {
  const t = useT();
  const status = useStatusWord();
  const me = useMe();
  const { language } = useLanguage();
  const id: string | undefined = row?.statement_id;
  const statement = useLoad(() => id ? api<Row>(`billing/statements/${id}`) : Promise.resolve(null), [id]);
  const [selected, setSelected] = useState<number[]>([]);
  const [reason, setReason] = useState("");
  const [resolving, setResolving] = useState<Row | null>(null);
  const [error, setError] = useState<unknown>();
  const s = statement.data;
  const answering = can(me, "statement:answer") && s && s.status !== "confirmed";
  const send = async (path: string, body: unknown) => {
    setError(undefined);
    try {
      statement.set(await api<Row>(`billing/statements/${id}/${path}`, { body }));  // the statement as the command left it
      setSelected([]);
      setReason("");
      onChanged();
      return true;
    } catch (e) { setError(e); return false; }
  };
  return (
    <Drawer open={!!row} onClose={() => { setSelected([]); setError(undefined); onClose(); }} size="large" destroyOnHidden
      title={row ? `${t("statement")} · ${row.customer_name ?? ""} · ${row.period_start} – ${row.period_end}` : ""}
      styles={{ wrapper: { maxWidth: "100vw" } }}>
      <ProblemAlert error={statement.error ?? error} />
      {s && <div data-testid="statement-detail">
        <Descriptions size="small" column={{ xs: 1, md: 2 }} style={{ marginBottom: 12 }} items={[
          { label: t("status"), children: <span data-testid="statement-status"><StatusTag value={s.status} /></span> },
          { label: t("customer"), children: <Named name={row?.customer_name} id={s.customer_id} /> },
          { label: t("x_opening"), children: <Money value={s.opening_balance} currency={s.currency} /> },
          { label: t("x_closing"), children: <Money value={s.closing_balance} currency={s.currency} /> },
          ...(s.confirmed_by ? [{ label: t("x_confirmed_by"), children: s.confirmed_by }] : []),
        ]} />
        <div className="table-scroll" tabIndex={0} role="region" aria-label={t("lines")}>
          <Table<Row> size="small" rowKey="line_no" dataSource={s.lines} pagination={{ pageSize: 20, hideOnSinglePage: true }}
            scroll={{ x: "max-content" }} rowSelection={answering ? { selectedRowKeys: selected, onChange: (keys) => setSelected(keys as number[]),
              getCheckboxProps: (l) => ({ disabled: l.dispute?.status === "open", "aria-label": `${t("x_dispute")} #${l.line_no}` }) } : undefined}
            columns={[{ title: "#", dataIndex: "line_no" }, { title: t("kind"), dataIndex: "kind", render: (k) => status(k) },
              { title: "No.", dataIndex: "number", render: (n) => <span style={{ whiteSpace: "nowrap" }}>{n}</span> },
              { title: t("when"), dataIndex: "on", render: (d) => <span style={{ whiteSpace: "nowrap" }}>{d}</span> },
              { title: t("dueOn"), dataIndex: "due_on", render: (v) => <span style={{ whiteSpace: "nowrap" }}>{v ?? "—"}</span> },
              { title: t("amount"), dataIndex: "amount", align: "right", render: (v) => <Money value={v} currency={s.currency} /> },
              { title: t("x_dispute"), dataIndex: "dispute", width: 260, render: (d) => d ? <span>
                <Tag color={TONE[d.status === "open" ? "orange" : "grey"]}>{d.status === "open" ? t("x_dispute") : `${t("x_resolved")}: ${t(`x_${d.outcome}`)}`}</Tag>{d.reason}</span> : "" },
              ...(can(me, "statement:issue") ? [{ title: t("actions"), render: (_: unknown, l: Row) => l.dispute?.status === "open" &&
                <Button size="small" onClick={() => setResolving(l)}>{t("resolve")}</Button> }] : [])]} />
        </div>
        <Space wrap style={{ marginTop: 12 }}>
          <DownloadButton path={`billing/statements/${id}/pdf`} query={{ lang: language }} name={`statement-${id}.pdf`} label={`PDF ${t("download")}`} />
        </Space>
        {answering && <Card size="small" title={t("answerStatement")} style={{ marginTop: 12 }}>
          {s.status === "sent" && <Button type="primary" onClick={() => send("answer", { confirm: true })}>{t("confirmStatement")}</Button>}
          <Form layout="vertical" style={{ marginTop: 12 }}>
            <Form.Item label={`${t("disputeLines")} (${selected.length})`} htmlFor="dispute-reason">
              <Input.TextArea id="dispute-reason" rows={2} value={reason} onChange={(e) => setReason(e.target.value)} placeholder={t("reason")} />
            </Form.Item>
            <Button danger disabled={!selected.length || !reason.trim()}
              onClick={() => send("answer", { disputes: selected.map((line_no) => ({ line_no, reason: reason.trim() })) })}>{t("disputeLines")}</Button>
          </Form>
        </Card>}
      </div>}
      <ResolveModal line={resolving} onClose={() => setResolving(null)}
        onSubmit={async (v) => { if (await send(`lines/${resolving!.line_no}/resolve`, v)) setResolving(null); }} />
    </Drawer>
  );
}

function ResolveModal({ line, onClose, onSubmit }: { line: Row | null; onClose: () => void; onSubmit: (v: { outcome: string; note: string }) => void }) {
  const t = useT();
  const [form] = Form.useForm();
  return (
    <Modal open={!!line} title={`${t("resolve")} · #${line?.line_no ?? ""} ${line?.number ?? ""}`} onCancel={onClose} onOk={() => form.submit()} okText={t("confirm")} destroyOnHidden>
      <Form form={form} layout="vertical" initialValues={{ outcome: "rejected" }} onFinish={onSubmit}>
        <Form.Item name="outcome" label={t("result")}><Radio.Group options={[{ value: "upheld", label: t("x_upheld") }, { value: "rejected", label: t("x_rejected") }]} /></Form.Item>
        <Form.Item name="note" label={t("reason")} rules={[{ required: true, whitespace: true }]}><Input.TextArea rows={2} /></Form.Item>
      </Form>
    </Modal>
  );
}

/** What the payment has unapplied, allocated to the invoices named: each no more than it has open (the service
 * refuses more, 409, and stores nothing). The customer's open invoices are listed, oldest due first. */
function AllocateModal({ payment, onClose, onDone }: { payment: Row | null; onClose: () => void; onDone: () => void }) {
  const t = useT();
  const [form] = Form.useForm();
  const [error, setError] = useState<unknown>();
  const customer: string | undefined = payment?.customer_id;
  const invoices = useLoad(async () => {
    if (!customer) return [];
    // The invoices billed to the customer: a hospital's own (not those billed to a distributor for its goods), or
    // a distributor's.
    const [asHospital, asDistributor] = await Promise.all([
      api<Page<Row>>("billing/invoices", { query: { hospital_id: customer, limit: 100 } }),
      api<Page<Row>>("billing/invoices", { query: { bill_to_distributor_id: customer, limit: 100 } })]);
    const billed = [...asHospital.items.filter((i) => !i.bill_to_distributor_id), ...asDistributor.items];
    const full = await Promise.all(billed.map((i) => api<Row>(`billing/invoices/${i.invoice_id}`)));
    const order = (i: Row) => `${i.due_on ?? "9999-12-31"} ${i.number ?? ""}`;  // oldest due first, then by number
    return full.filter((i) => positive(i.open_amount)).sort((a, b) => order(a).localeCompare(order(b)));
  }, [customer]);
  const amounts: Record<string, string | undefined> = Form.useWatch("amounts", form) ?? {};
  const entered = addMoney(...Object.values(amounts));
  const over = payment ? moneyAbove(entered, payment.unapplied) : false;
  return (
    <Modal open={!!payment} width={880} title={payment ? `${t("allocateNamed")} · ${payment.bank_reference} · ${payment.customer_name ?? ""}` : ""}
      onCancel={onClose} onOk={() => form.submit()} okText={t("confirm")} destroyOnHidden>
      <ProblemAlert error={invoices.error ?? error} />
      {payment && <Typography.Paragraph data-testid="allocation-total">
        {t("x_unapplied")}: <Money value={payment.unapplied} currency={payment.currency} /> · {t("x_allocating")}: <Money value={entered} currency={payment.currency} />
        {over && <Tag color={TONE.red} style={{ marginLeft: 8 }}>{t("moreThanUnapplied")}</Tag>}
      </Typography.Paragraph>}
      <Form form={form} onFinish={async (v) => {
        const allocations = Object.entries((v.amounts ?? {}) as Record<string, string | undefined>)
          .filter(([, amount]) => amount && amount.trim()).map(([invoice_id, amount]) => ({ invoice_id, amount: amount!.trim() }));
        if (!allocations.length) { setError(new Error(t("nameAnInvoice"))); return; }
        setError(undefined);
        try {
          await api(`billing/payments/${payment!.payment_id}/allocations`, { body: { allocations } });
          onDone();
        } catch (e) { setError(e); }
      }}>
        <div className="table-scroll" tabIndex={0} role="region" aria-label={t("invoices")}>
          <Table<Row> size="small" rowKey="invoice_id" dataSource={invoices.data ?? []} loading={invoices.loading} pagination={{ pageSize: 10, hideOnSinglePage: true }}
            data-testid="allocation-invoices"
            columns={[{ title: t("invoiceNo"), dataIndex: "number", render: (n, i) => n ?? String(i.invoice_id).slice(0, 8) },
              { title: t("issuedOn"), dataIndex: "issued_on" }, { title: t("dueOn"), dataIndex: "due_on" },
              { title: t("total"), dataIndex: "gross_total", align: "right", render: (v, i) => <Money value={v} currency={i.currency} /> },
              { title: t("open_amount"), dataIndex: "open_amount", align: "right", render: (v, i) => <Money value={v} currency={i.currency} /> },
              { title: t("amount"), render: (_, i) => <Space size={4}>
                <Form.Item name={["amounts", i.invoice_id]} noStyle rules={[{ pattern: /^\s*\d{1,16}(\.\d{1,2})?\s*$/, message: t("amount") }]}>
                  <Input style={{ width: 120 }} inputMode="decimal" aria-label={`${t("amount")} ${i.number ?? i.invoice_id}`} />
                </Form.Item>
                <Button size="small" onClick={() => form.setFieldValue(["amounts", i.invoice_id], i.open_amount)}>{t("x_full_amount")}</Button>
              </Space> }]} />
        </div>
      </Form>
    </Modal>
  );
}

/** A customer's statement (对账单) for a period as the account gives it now; a portal user sees its own. */
function LiveStatement() {
  const t = useT();
  const status = useStatusWord();
  const me = useMe();
  const own = scopeOf(me, "hospital") ?? scopeOf(me, "distributor");
  const [customer, setCustomer] = useState<string | undefined>(own ?? undefined);
  const [period, setPeriod] = useState<[Dayjs, Dayjs]>([dayjs().startOf("month"), dayjs()]);
  const customers = useCustomerOptions(!!own);
  const statement = useLoad(() => customer ? api<Row>(`billing/customers/${customer}/statement`, { query: { from: period[0].format("YYYY-MM-DD"), to: period[1].format("YYYY-MM-DD") } }) : Promise.resolve(null), [customer, period[0].valueOf(), period[1].valueOf()]);
  const s = statement.data;
  return (
    <>
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
          columns={[{ title: "#", dataIndex: "line_no" }, { title: t("kind"), dataIndex: "kind", render: (k) => status(k) }, { title: "No.", dataIndex: "number" },
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
