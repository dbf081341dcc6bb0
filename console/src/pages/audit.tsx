// The auditor: an aggregate's history — every event with who did it, when and why — and its state as of a time.
import { Button, Card, Col, DatePicker, Descriptions, Form, Input, Row as GridRow, Select, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { api } from "../api";
import { Json, ProblemAlert, TONE, useLoad } from "../components";
import { dateTime } from "../format";
import { useT } from "../i18n";

type Row = Record<string, any>;
const SERVICES = ["order", "channel", "inventory", "billing", "traceability"];
const VERIFIED = [...SERVICES, "analytics"];

export function AuditPage() {
  const t = useT();
  const [history, setHistory] = useState<Row | null>(null);
  const [state, setState] = useState<Row | null>(null);
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);
  const look = async (v: { service: string; aggregate_id: string; as_of?: { format: () => string } }) => {
    setError(undefined);
    setLoading(true);
    const base = `${v.service}/audit/aggregates/${v.aggregate_id.trim()}`;
    try {
      setHistory(await api<Row>(`${base}/history`));
      setState(await api<Row>(`${base}/state`, { query: { as_of: v.as_of?.format() } }));
    } catch (e) { setError(e); setHistory(null); setState(null); } finally { setLoading(false); }
  };
  return (
    <>
      <Typography.Title level={2} className="page-title">{t("audit")}</Typography.Title>
      <Typography.Title level={3} style={{ fontSize: 16 }}>{t("chainVerification")}</Typography.Title>
      <GridRow gutter={[12, 12]} style={{ marginBottom: 16 }} data-testid="chain-verification">
        {VERIFIED.map((service) => <Col key={service} xs={24} md={12} xl={8}><ChainCard service={service} /></Col>)}
      </GridRow>
      <Card>
        <Form layout="inline" onFinish={look} initialValues={{ service: "order" }} style={{ rowGap: 8 }}>
          <Form.Item name="service" label={t("service")}><Select style={{ width: 140 }} options={SERVICES.map((s) => ({ value: s }))} /></Form.Item>
          <Form.Item name="aggregate_id" label={t("aggregateId")} rules={[{ required: true }]}><Input style={{ width: 340 }} aria-label={t("aggregateId")} /></Form.Item>
          <Form.Item name="as_of" label={t("x_as_of")}><DatePicker showTime /></Form.Item>
          <Form.Item><Button type="primary" htmlType="submit" loading={loading}>{t("search")}</Button></Form.Item>
        </Form>
      </Card>
      <ProblemAlert error={error} />
      {history && <Card title={t("history")} style={{ marginTop: 16 }}>
        <Table<Row> size="small" rowKey="id" dataSource={history.events} pagination={{ pageSize: 50 }} scroll={{ x: "max-content" }} data-testid="audit-history"
          expandable={{ expandedRowRender: (e) => <Json value={e.data} /> }}
          columns={[{ title: "#", dataIndex: "aggregateversion" }, { title: t("what"), dataIndex: "type", render: (v) => String(v).split(".").pop() },
            { title: t("when"), dataIndex: "time", render: dateTime }, { title: t("who"), dataIndex: "actor" },
            { title: t("why"), dataIndex: "reason", render: (r) => r ?? "—" }, { title: t("x_correlation"), dataIndex: "correlationid", render: (c) => String(c).slice(0, 12) }]} />
      </Card>}
      {state && <Card title={`State · v${state.version} · ${dateTime(state.as_of)}`} style={{ marginTop: 16 }}><Json value={state.state} /></Card>}
    </>
  );
}

/** A service's hash chain recomputed over every stored event and checked against the signed checkpoints (GET
 * /audit/verification, what `erp audit verify` does): intact, or where it breaks and how. */
function ChainCard({ service }: { service: string }) {
  const t = useT();
  const [round, setRound] = useState(0);
  const verdict = useLoad(() => api<Row>(`${service}/audit/verification`), [service, round]);
  const v = verdict.data;
  return (
    <Card size="small" title={service} loading={verdict.loading && !v} data-testid={`chain-${service}`}
      extra={<Button size="small" loading={verdict.loading} onClick={() => setRound((n) => n + 1)}>{t("verifyAgain")}</Button>}>
      <ProblemAlert error={verdict.error} />
      {v && <Descriptions size="small" column={1} items={[
        { label: t("result"), children: v.intact
          ? <Tag color={TONE.green} data-testid="chain-verdict">{t("chainIntact")}</Tag>
          : <Tag color={TONE.red} data-testid="chain-verdict">{t("chainBroken")}</Tag> },
        { label: t("x_events"), children: v.events },
        { label: t("x_checked_up_to"), children: v.checked_up_to },
        { label: t("x_checkpoints"), children: v.checkpoints },
        ...(v.intact ? [] : [{ label: t("x_broken_at"), children: <span>{v.broken_at ?? "—"} · {v.how ?? ""}</span> }]),
        { label: t("when"), children: dateTime(v.verified_at) },
      ]} />}
    </Card>
  );
}
