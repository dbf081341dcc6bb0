// Bank statements (银行流水): finance uploads the bank's file (with its progress); each credit line the service matched
// to a customer (an invoice number in its memo, else the payer's name) is already a payment; finance names the
// customer of each line nobody matched, with a reason. A statement holds many customers' money: finance's alone.
import { Alert, Button, Card, Form, Input, Modal, Progress, Segmented, Select, Space, Table, Tabs, Tag, Typography, Upload } from "antd";
import type { UploadFile } from "antd";
import { useState } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router-dom";
import { api, upload } from "../api";
import { Money, Named, PagedTable, ProblemAlert, TONE, useDirectory, useLoad } from "../components";
import { dateTime } from "../format";
import { useStatus, useT } from "../i18n";
import { useCustomerOptions } from "./finance";

type Row = Record<string, any>;

export function BankStatementPage() {
  const t = useT();
  const navigate = useNavigate();
  const { statementId } = useParams();
  const location = useLocation();
  const rejected: Row[] = (location.state as { rejected?: Row[] } | null)?.rejected ?? [];
  const [files, setFiles] = useState<UploadFile[]>([]);
  const [share, setShare] = useState<number | null>(null);
  const [error, setError] = useState<unknown>();
  const send = async () => {
    const file = files[0]?.originFileObj;
    if (!file) return;
    const body = new FormData();
    body.append("file", file, file.name);
    setError(undefined);
    setShare(0);
    try {
      const answer = await upload<Row>("billing/bank-statements/upload", body, setShare);
      setFiles([]);
      navigate(`/finance/bank-statements/${answer.statement_id}`, { state: { rejected: answer.rows_rejected } });
    } catch (e) { setError(e); }
    setShare(1);
  };
  return (
    <>
      <Typography.Title level={2} className="page-title">{t("bankStatements")}</Typography.Title>
      <Card size="small" title={t("bankUpload")} style={{ marginBottom: 16 }}>
        <Typography.Paragraph type="secondary">CSV / xlsx: date (交易日期), amount (金额), payer (付款人), bank_reference (流水号)[, memo (摘要/附言)]</Typography.Paragraph>
        <Space wrap align="start">
          <Upload beforeUpload={() => false} maxCount={1} fileList={files} onChange={({ fileList }) => setFiles(fileList)} accept=".csv,.xlsx">
            <Button>{t("file")}…</Button>
          </Upload>
          <Button type="primary" disabled={!files.length} onClick={send}>{t("upload")}</Button>
        </Space>
        {share !== null && <Progress aria-label={`${t("upload")} ${t("progress")}`} percent={Math.round(Math.max(share, 0) * 100)}
          status={error ? "exception" : share >= 1 ? "success" : "active"} />}
        <ProblemAlert error={error} />
      </Card>
      {rejected.length > 0 && <Card size="small" title={t("rowsRejected")} style={{ marginBottom: 16 }}>
        <Table<Row> size="small" rowKey={(e) => `${e.row}-${e.field}`} dataSource={rejected} pagination={false} data-testid="bank-rows-rejected"
          columns={[{ title: t("row"), dataIndex: "row" }, { title: t("field"), dataIndex: "field" },
            { title: t("rule"), dataIndex: "rule", render: (r) => <code>{r}</code> }, { title: t("message"), dataIndex: "message" }]} />
      </Card>}
      {statementId && <BankStatement key={statementId} statementId={statementId} />}
      <Tabs style={{ marginTop: 16 }} items={[
        { key: "statements", label: t("bankFiles"), children: <PagedTable<Row> path="billing/bank-statements" rowKey="statement_id" testId="bank-statements"
            label={t("bankFiles")} reloadKey={statementId}
            columns={[{ title: t("file"), dataIndex: "filename", render: (f, r) => <Link to={`/finance/bank-statements/${r.statement_id}`}>{f}</Link> },
              { title: t("period"), render: (_, r) => `${r.first_day} – ${r.last_day}` }, { title: t("lineCount"), dataIndex: "lines", align: "right" },
              { title: t("amount"), dataIndex: "amount", align: "right", render: (v) => <Money value={v} /> },
              { title: t("unmatchedLines"), dataIndex: "unmatched", align: "right", render: (n) => n ? <Tag color={TONE.orange}>{n}</Tag> : 0 },
              { title: t("x_imported_at"), dataIndex: "imported_at", render: dateTime }]} /> },
        { key: "queue", label: t("matchQueue"), children: <MatchQueue /> },
      ]} />
    </>
  );
}

function BankStatement({ statementId }: { statementId: string }) {
  const t = useT();
  const status = useStatus();
  const name = useDirectory();
  const [show, setShow] = useState<string>("all");
  const [matching, setMatching] = useState<Row | null>(null);
  const statement = useLoad(() => api<Row>(`billing/bank-statements/${statementId}`, { query: { status: show === "all" ? undefined : show } }),
    [statementId, show]);
  const s = statement.data;
  const shown = (s?.lines ?? []).filter((l: Row) => show === "all" || (show === "matched") === !!l.customer_id);
  return (
    <Card title={s ? `${s.filename}` : t("bankStatements")} loading={statement.loading && !s} data-testid="bank-statement"
      extra={s && <span>{t("unmatchedLines")}: {s.unmatched ? <Tag color={TONE.orange} data-testid="bank-unmatched">{s.unmatched}</Tag> : <span data-testid="bank-unmatched">0</span>}</span>}>
      <ProblemAlert error={statement.error} />
      <Segmented value={show} onChange={(v) => setShow(String(v))} style={{ marginBottom: 12 }}
        options={[{ value: "all", label: t("all") }, { value: "matched", label: status("matched") }, { value: "unmatched", label: status("unmatched") }]} />
      {s && <div className="table-scroll" tabIndex={0} role="region" aria-label={t("lines")}>
        <Table<Row> size="small" rowKey="line_no" dataSource={shown} pagination={{ pageSize: 20, showTotal: (n) => `${t("total")} ${n}` }}
          rowClassName={(l) => l.customer_id ? "" : "row-near-expiry"}
          columns={[{ title: "#", dataIndex: "line_no" }, { title: t("when"), dataIndex: "on" },
            { title: t("amount"), dataIndex: "amount", align: "right", render: (v) => <Money value={v} /> },
            { title: t("x_payer"), dataIndex: "payer" }, { title: t("x_memo"), dataIndex: "memo", render: (m) => m || "—" },
            { title: t("x_reference"), dataIndex: "bank_reference" },
            { title: t("status"), dataIndex: "customer_id", render: (c, l) => c
              ? <Tag color={TONE.green}>{status("matched")} · {t(`x_by_${l.matched_by}`)}</Tag> : <Tag color={TONE.orange}>{status("unmatched")}</Tag> },
            { title: t("customer"), dataIndex: "customer_id", render: (c) => c ? <Named id={c} name={name(c)} /> : "—" },
            { title: t("invoices"), dataIndex: "invoice_ids", render: (ids: string[]) => ids?.length ? ids.map((i) => i.slice(0, 8)).join(", ") : "—" },
            { title: t("actions"), render: (_, l) => !l.customer_id && <Button size="small" onClick={() => setMatching(l)}>{t("matchLine")}</Button> }]} />
      </div>}
      <MatchModal statementId={statementId} line={matching} onClose={() => setMatching(null)} onDone={(answer) => { setMatching(null); statement.set(answer); }} />
    </Card>
  );
}

/** Name the customer of a line nobody matched, with a reason: it becomes that customer's payment, allocated oldest
 * due first. */
function MatchModal({ statementId, line, onClose, onDone }: { statementId?: string; line: Row | null; onClose: () => void; onDone: (statement: Row) => void }) {
  const t = useT();
  const [form] = Form.useForm();
  const [error, setError] = useState<unknown>();
  const customers = useCustomerOptions(!line);
  return (
    <Modal open={!!line} title={line ? `${t("matchLine")} · #${line.line_no} · ${line.payer}` : ""} onCancel={onClose}
      onOk={() => form.submit()} okText={t("confirm")} destroyOnHidden>
      <ProblemAlert error={error ?? customers.error} />
      {line && <Alert type="info" style={{ marginBottom: 12 }} title={<span><Money value={line.amount} /> · {line.on} · {line.memo || line.bank_reference}</span>} />}
      <Form form={form} layout="vertical" onFinish={async (v) => {
        setError(undefined);
        try {
          onDone(await api<Row>(`billing/bank-statements/${line!.statement_id ?? statementId}/lines/${line!.line_no}/match`,
            { body: { customer_id: v.customer_id, reason: v.reason.trim() } }));
        } catch (e) { setError(e); }
      }}>
        <Form.Item name="customer_id" label={t("customer")} rules={[{ required: true }]}>
          <Select showSearch optionFilterProp="label" options={customers.data ?? []} />
        </Form.Item>
        <Form.Item name="reason" label={t("reason")} rules={[{ required: true, whitespace: true }]}><Input.TextArea rows={2} /></Form.Item>
      </Form>
    </Modal>
  );
}

/** Every line still waiting for finance to name its customer, whichever statement it came in, oldest first. */
function MatchQueue() {
  const t = useT();
  const [matching, setMatching] = useState<Row | null>(null);
  const [round, setRound] = useState(0);
  return (
    <>
      <PagedTable<Row> path="billing/bank-statement-lines" query={{ matched: false }} rowKey={(l) => `${l.statement_id}-${l.line_no}`}
        testId="bank-match-queue" label={t("matchQueue")} reloadKey={round}
        columns={[{ title: t("file"), dataIndex: "filename", render: (f, l) => <Link to={`/finance/bank-statements/${l.statement_id}`}>{f} #{l.line_no}</Link> },
          { title: t("when"), dataIndex: "on" }, { title: t("amount"), dataIndex: "amount", align: "right", render: (v) => <Money value={v} /> },
          { title: t("x_payer"), dataIndex: "payer" }, { title: t("x_memo"), dataIndex: "memo", render: (m) => m || "—" },
          { title: t("x_reference"), dataIndex: "bank_reference" },
          { title: t("actions"), render: (_, l) => <Button size="small" onClick={() => setMatching(l)}>{t("matchLine")}</Button> }]} />
      <MatchModal line={matching} onClose={() => setMatching(null)} onDone={() => { setMatching(null); setRound((n) => n + 1); }} />
    </>
  );
}
