// The auditor: an aggregate's history — every event with who did it, when and why — and its state as of a time.
import { Button, Card, DatePicker, Form, Input, Select, Table, Typography } from "antd";
import { useState } from "react";
import { api } from "../api";
import { Json, ProblemAlert } from "../components";
import { dateTime } from "../format";
import { useT } from "../i18n";

type Row = Record<string, any>;
const SERVICES = ["order", "channel", "inventory", "billing", "traceability"];

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
