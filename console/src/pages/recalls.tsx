// The recall officer: who received a lot or unit (live lineage), the recall case opened from it with its
// consignee list, deadlines and overdue notices, notifications and acknowledgements, and the reports to file.
import { Button, Card, Checkbox, DatePicker, Descriptions, Form, Input, InputNumber, Modal, Progress, Select, Space, Table, Tabs, Tag, Typography } from "antd";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { api, newKey } from "../api";
import { DownloadButton, Named, PagedTable, ProblemAlert, StatusTag, useLoad, useMe, TONE } from "../components";
import { dateTime, dayjs, nowIso } from "../format";
import { useT } from "../i18n";
import { can } from "../session";

type Row = Record<string, any>;

function contactOf(c: Row): string {
  const contact = c.contact;
  return contact ? [contact.name, contact.phone, contact.email].filter(Boolean).join(" · ") : "—";
}

function ConsigneeTable({ rows, total, page, onPage, testId }: { rows: Row[]; total: number; page: number; onPage: (p: number) => void; testId: string }) {
  const t = useT();
  return (
    <Table<Row> size="small" rowKey={(r) => `${r.consignee_id}-${r.via_distributor?.consignee_id ?? ""}`} dataSource={rows}
      scroll={{ x: "max-content" }} data-testid={testId} pagination={{ current: page, pageSize: 20, total, onChange: onPage }}
      columns={[
        { title: t("name"), dataIndex: "name", render: (n, r) => <Named name={n} id={r.consignee_id} /> },
        { title: t("kind"), dataIndex: "kind", render: (k) => <Tag>{t(k)}</Tag> },
        { title: t("region"), dataIndex: "region" },
        { title: t("via"), dataIndex: "via_distributor", render: (v) => v ? v.name : "—" },
        { title: t("contact"), render: (_, r) => contactOf(r) },
        { title: t("unitsShipped"), dataIndex: "quantity_shipped", align: "right" },
        { title: t("unitsOut"), dataIndex: "quantity_outstanding", align: "right" },
      ]} />
  );
}

/** Every lot of an item made or expiring in a range, and who received any of them (one row per consignee). */
function LookupByItem() {
  const t = useT();
  const [query, setQuery] = useState<Record<string, string> | null>(null);
  const [page, setPage] = useState(1);
  const answer = useLoad(() => query ? api<Row>("traceability/recalls/lookup/by-item", { query: { ...query, limit: 20, offset: (page - 1) * 20 } }) : Promise.resolve(null), [JSON.stringify(query), page]);
  return (
    <>
      <Form layout="inline" style={{ rowGap: 8 }} onFinish={(v) => {
        const [from, to] = v.range ?? [];
        const kind = v.kind === "produced" ? "produced" : "expiry";
        setPage(1);
        setQuery({ gtin: v.gtin.trim(), ...(from ? { [`${kind}_from`]: from.format("YYYY-MM-DD") } : {}), ...(to ? { [`${kind}_to`]: to.format("YYYY-MM-DD") } : {}) });
      }} initialValues={{ kind: "expiry" }}>
        <Form.Item name="gtin" label={t("gtin")} rules={[{ required: true }]}><Input style={{ width: 180 }} /></Form.Item>
        <Form.Item name="kind" label={t("kind")}><Select style={{ width: 120 }} options={[{ value: "expiry", label: t("expiry") }, { value: "produced", label: t("x_produced") }]} /></Form.Item>
        <Form.Item name="range" label={t("period")} rules={[{ required: true }]}><DatePicker.RangePicker /></Form.Item>
        <Form.Item><Button type="primary" htmlType="submit">{t("lookup")}</Button></Form.Item>
      </Form>
      <ProblemAlert error={answer.error} />
      {answer.data && <div style={{ marginTop: 12 }}>
        <Typography.Paragraph>{t("lot")}: {answer.data.lots.map((l: Row) => `${l.lot} (${l.expiry})`).join(", ") || "—"}</Typography.Paragraph>
        <ConsigneeTable rows={answer.data.consignees} total={answer.data.total} page={page} onPage={setPage} testId="lookup-by-item" />
      </div>}
    </>
  );
}

export function RecallLookupPage() {
  const t = useT();
  return (
    <>
      <Typography.Title level={2} className="page-title">{t("recallLookup")}</Typography.Title>
      <Tabs items={[{ key: "lot", label: `${t("lot")} / ${t("serial")}`, children: <LookupByLot /> },
        { key: "item", label: t("byItem"), children: <Card><LookupByItem /></Card> }]} />
    </>
  );
}

function LookupByLot() {
  const t = useT();
  const me = useMe();
  const navigate = useNavigate();
  const [query, setQuery] = useState<{ gtin: string; lot?: string; serial?: string } | null>(null);
  const [page, setPage] = useState(1);
  const answer = useLoad(() => query ? api<Row>("traceability/recalls/lookup", { query: { ...query, limit: 20, offset: (page - 1) * 20 } }) : Promise.resolve(null), [JSON.stringify(query), page]);
  const [openCase, setOpenCase] = useState(false);
  const a = answer.data;
  return (
    <>
      <Card>
        <Form layout="inline" style={{ rowGap: 8 }} onFinish={(v) => { setPage(1); setQuery({ gtin: v.gtin?.trim(), lot: v.lot?.trim() || undefined, serial: v.serial?.trim() || undefined }); }}>
          <Form.Item name="gtin" label={t("gtin")} rules={[{ required: true }]}><Input aria-label={t("gtin")} style={{ width: 180 }} /></Form.Item>
          <Form.Item name="lot" label={t("lot")}><Input aria-label={t("lot")} style={{ width: 160 }} /></Form.Item>
          <Form.Item name="serial" label={t("serial")}><Input aria-label={t("serial")} style={{ width: 160 }} /></Form.Item>
          <Form.Item><Button type="primary" htmlType="submit">{t("lookup")}</Button></Form.Item>
        </Form>
      </Card>
      <ProblemAlert error={answer.error} />
      {a && <Card style={{ marginTop: 16 }} title={`${a.gtin} · ${a.lot ?? a.serial ?? ""}`} data-testid="lookup-answer" extra={<Space wrap>
        <DownloadButton path="traceability/recalls/lookup/export" query={{ ...query!, format: "csv" } as Record<string, string>} name="recall-lookup.csv" label={t("exportCsv")} />
        <DownloadButton path="traceability/recalls/lookup/export" query={{ ...query!, format: "xlsx" } as Record<string, string>} name="recall-lookup.xlsx" label={t("exportXlsx")} />
        {can(me, "recall:manage") && <Button type="primary" danger onClick={() => setOpenCase(true)}>{t("openRecall")}</Button>}
      </Space>}>
        <Descriptions size="small" column={{ xs: 1, md: 3 }} items={[
          { label: t("unitsShipped"), children: a.quantity_shipped }, { label: t("returns"), children: a.quantity_returned },
          { label: t("unitsOut"), children: a.quantity_outstanding }]} />
        <Typography.Title level={3} style={{ fontSize: 16 }}>{t("consignees")} ({a.total})</Typography.Title>
        <ConsigneeTable rows={a.consignees} total={a.total} page={page} onPage={setPage} testId="lookup-consignees" />
        <Typography.Title level={3} style={{ fontSize: 16 }}>{t("affectedLots")}</Typography.Title>
        <Table<Row> size="small" rowKey={(r) => `${r.gtin}-${r.lot}`} dataSource={a.affected_lots} pagination={false}
          columns={[{ title: t("gtin"), dataIndex: "gtin" }, { title: t("lot"), dataIndex: "lot" }, { title: t("expiry"), dataIndex: "expiry" },
            { title: t("via"), dataIndex: "via", render: (via: Row[]) => via?.length ? via.map((v) => `${v.gtin}/${v.lot}`).join(" → ") : "—" },
            { title: t("unitsOut"), dataIndex: "quantity_outstanding", align: "right" }]} />
      </Card>}
      {query && <OpenRecallModal open={openCase} lots={a?.affected_lots?.length ? [{ gtin: query.gtin, lot: query.lot }] : []}
        serials={query.serial ? [{ gtin: query.gtin, serial: query.serial }] : []}
        onClose={() => setOpenCase(false)} onDone={(id) => navigate(`/recalls/${id}`)} />}
    </>
  );
}

function OpenRecallModal({ open, lots, serials, onClose, onDone }: { open: boolean; lots: Row[]; serials: Row[]; onClose: () => void; onDone: (id: string) => void }) {
  const t = useT();
  const [form] = Form.useForm();
  const [key] = useState(newKey);
  const [error, setError] = useState<unknown>();
  return (
    <Modal open={open} title={t("openRecall")} onCancel={onClose} onOk={() => form.submit()} okText={t("confirm")}>
      <ProblemAlert error={error} />
      <Form form={form} layout="vertical" initialValues={{ level: 2, scheme: "NMPA", decided_at: dayjs() }} onFinish={async (v) => {
        setError(undefined);
        try {
          const recall = await api<Row>("traceability/recalls", { idempotencyKey: key, body: {
            title: v.title, level: v.level, scheme: v.scheme, reason: v.reason, decided_at: v.decided_at.format(),
            lots: lots.filter((l) => l.lot), serials } });
          onDone(recall.recall_id);
        } catch (e) { setError(e); }
      }}>
        <Form.Item name="title" label={t("title")} rules={[{ required: true }]}><Input /></Form.Item>
        <Space>
          <Form.Item name="scheme" label={t("x_scheme")}><Select style={{ width: 100 }} options={[{ value: "NMPA" }, { value: "FDA" }]} /></Form.Item>
          <Form.Item name="level" label={t("level")}><InputNumber min={1} max={3} /></Form.Item>
          <Form.Item name="decided_at" label={t("decidedAt")}><DatePicker showTime /></Form.Item>
        </Space>
        <Form.Item name="reason" label={t("reason")} rules={[{ required: true }]}><Input.TextArea rows={2} /></Form.Item>
        <Typography.Text type="secondary">{[...lots.map((l) => `${l.gtin}/${l.lot}`), ...serials.map((s) => `${s.gtin}/${s.serial}`)].join(", ")}</Typography.Text>
      </Form>
    </Modal>
  );
}

export function RecallsPage() {
  const t = useT();
  const recallColumns = [
    { title: t("recall"), dataIndex: "number", render: (n: string, r: Row) => <Link to={`/recalls/${r.recall_id}`}>{n}</Link> },
    { title: t("title"), dataIndex: "title" },
  ];
  return (
    <>
      <Typography.Title level={2} className="page-title">{t("recallCases")}</Typography.Title>
      <Tabs items={[
        { key: "cases", label: t("recallCases"), children: <PagedTable<Row> path="traceability/recalls" rowKey="recall_id" testId="recalls"
            filters={<Form.Item name="status" label={t("status")}><Select allowClear style={{ width: 120 }} options={[{ value: "open" }, { value: "closed" }]} /></Form.Item>}
            columns={[...recallColumns,
              { title: t("level"), dataIndex: "level" }, { title: t("status"), dataIndex: "status", render: (s) => <StatusTag value={s} /> },
              { title: t("decidedAt"), dataIndex: "decided_at", render: dateTime },
              { title: t("notifyBy"), dataIndex: "notify_by", render: (v, r) => <span>{dateTime(v)} {r.status === "open" && dayjs(v).isBefore(dayjs()) && <Tag color={TONE.red}>{t("overdue")}</Tag>}</span> },
              { title: t("notified"), dataIndex: "consignees_notified", align: "right" },
              { title: t("acknowledged"), dataIndex: "consignees_acknowledged", align: "right" }]} /> },
        { key: "overdue", label: t("overdue"), children: <PagedTable<Row> path="traceability/recalls/overdue" rowKey={(r) => `${r.recall_id}-${r.consignee_id}`}
            rowClassName={() => "row-overdue"}
            columns={[...recallColumns, { title: t("consignees"), dataIndex: "name", render: (n, r) => <Named name={n} id={r.consignee_id} /> },
              { title: t("region"), dataIndex: "region" }, { title: t("notifyBy"), dataIndex: "notify_by", render: dateTime },
              { title: t("unitsOut"), dataIndex: "quantity_outstanding", align: "right" }]} /> },
      ]} />
    </>
  );
}

export function RecallCasePage() {
  const t = useT();
  const me = useMe();
  const { recallId } = useParams();
  const recall = useLoad(() => api<Row>(`traceability/recalls/${recallId}`), [recallId]);
  const [round, setRound] = useState(0);
  const [error, setError] = useState<unknown>();
  const [acting, setActing] = useState<{ kind: "notify" | "acknowledge"; consignee: Row } | null>(null);
  const [closing, setClosing] = useState(false);
  const [closeForm] = Form.useForm();
  const r = recall.data;
  const refresh = () => { recall.reload(); setRound((n) => n + 1); };
  const overdue = r && r.status === "open" && dayjs(r.notify_by).isBefore(dayjs());
  return (
    <Card title={`${t("recall")} ${r?.number ?? ""} ${r?.title ?? ""}`} loading={recall.loading && !r}>
      <ProblemAlert error={recall.error ?? error} />
      {r && <>
        <Descriptions bordered size="small" column={{ xs: 1, md: 2 }} items={[
          { label: t("status"), children: <span data-testid="recall-status"><StatusTag value={r.status} /></span> },
          { label: t("level"), children: `${r.level_name} (${r.scheme} ${r.level})` },
          { label: t("decidedAt"), children: dateTime(r.decided_at) },
          { label: t("notifyBy"), children: <span>{dateTime(r.notify_by)} {overdue && <Tag color={TONE.red}>{t("overdue")}</Tag>}</span> },
          { label: t("reason"), children: r.reason },
          { label: t("lot"), children: [...r.lots.map((l: Row) => `${l.gtin}/${l.lot}`), ...r.kit_lots.map((l: Row) => `${l.gtin}/${l.lot} (kit)`),
            ...r.serials.map((u: Row) => `${u.gtin}/${u.serial}`)].join(", ") || "—" },
          ...(r.removed_lots?.length || r.removed_serials?.length ? [{ label: t("removedFromScope"),
            children: [...r.removed_lots.map((l: Row) => `${l.gtin}/${l.lot}`), ...r.removed_serials.map((u: Row) => `${u.gtin}/${u.serial}`)].join(", ") }] : []),
        ]} />
        {r.status === "open" && <Space wrap style={{ marginTop: 12 }}>
          {can(me, "recall:manage") && <Button onClick={() => setClosing(true)}>{t("requestClosure")}</Button>}
          {r.closure_requested && <Typography.Text data-testid="closure-requested">
            {t("closureRequested")}: {r.closure_requested.requested_by} · {r.closure_requested.summary}</Typography.Text>}
          {r.closure_requested && can(me, "recall:approve") && me && r.closure_requested.requested_by !== `user:${me.subject}` &&
            <Button type="primary" onClick={async () => {
              setError(undefined);
              try { await api(`traceability/recalls/${recallId}/close/approval`, { method: "POST" }); refresh(); } catch (e) { setError(e); }
            }}>{t("approveClosure")}</Button>}
        </Space>}
        {r.closed_by && <Typography.Paragraph style={{ marginTop: 12 }}>{t("closed")}: {dateTime(r.closed_at)} · {r.summary} ·
          {" "}{r.closed_by.requested_by} / {r.closed_by.approved_by}</Typography.Paragraph>}
        <ScopeReductions recall={r} onChanged={refresh} />
        <Typography.Title level={3} style={{ fontSize: 16, marginTop: 16 }}>{t("effectiveness")}</Typography.Title>
        <Space wrap size="large">
          {(["notified_share", "acknowledged_share", "recovered_share"] as const).map((k) => (
            <div key={k} style={{ textAlign: "center" }}>
              <Progress type="circle" size={80} percent={Math.round((r.effectiveness[k] ?? 0) * 100)}
                aria-label={t(k === "notified_share" ? "notified" : k === "acknowledged_share" ? "acknowledged" : "returns")} />
              <div aria-hidden="true">{t(k === "notified_share" ? "notified" : k === "acknowledged_share" ? "acknowledged" : "returns")}</div>
            </div>))}
        </Space>
        <Typography.Title level={3} style={{ fontSize: 16, marginTop: 16 }}>{t("reports")}</Typography.Title>
        <Space wrap data-testid="recall-reports">
          {(["event", "implementation"] as const).map((report) => (["pdf", "xlsx"] as const).map((format) => (
            <DownloadButton key={`${report}-${format}`} path={`traceability/recalls/${recallId}/reports/${report}`} query={{ format }}
              name={`recall-${r.number}-${report}.${format}`} label={`${t(report === "event" ? "eventReport" : "implementationReport")} ${format.toUpperCase()}`} />)))}
        </Space>
        <Typography.Title level={3} style={{ fontSize: 16, marginTop: 16 }}>{t("consignees")}</Typography.Title>
        <PagedTable<Row> path={`traceability/recalls/${recallId}/consignees`} rowKey={(c) => `${c.consignee_id}-${c.via_distributor?.consignee_id ?? ""}`}
          testId="recall-consignees" reloadKey={round} rowClassName={(c) => c.status === "overdue" ? "row-overdue" : ""}
          filters={<Form.Item name="status" label={t("status")}><Select allowClear style={{ width: 140 }}
            options={["pending", "overdue", "notified", "notified_late", "acknowledged"].map((s) => ({ value: s }))} /></Form.Item>}
          columns={[
            { title: t("name"), dataIndex: "name", render: (n, c) => <Named name={n} id={c.consignee_id} /> },
            { title: t("kind"), dataIndex: "kind", render: (k) => <Tag>{t(k)}</Tag> },
            { title: t("via"), dataIndex: "via_distributor", render: (v) => v ? v.name : "—" },
            { title: t("contact"), render: (_, c) => contactOf(c) },
            { title: t("status"), dataIndex: "status", render: (s) => <StatusTag value={s} /> },
            { title: t("notified"), dataIndex: "notified_at", render: dateTime },
            { title: t("acknowledged"), dataIndex: "acknowledged_at", render: (v, c) => v ? `${dateTime(v)} ${c.acknowledged_by ?? ""}` : "—" },
            { title: t("unitsOut"), dataIndex: "units_to_recover", align: "right" },
            { title: t("actions"), render: (_, c) => r.status === "open" && can(me, "recall:manage") && <Space>
                {!c.notified_at && <Button size="small" onClick={() => setActing({ kind: "notify", consignee: c })}>{t("notify")}</Button>}
                {c.notified_at && !c.acknowledged_at && <Button size="small" onClick={() => setActing({ kind: "acknowledge", consignee: c })}>{t("acknowledge")}</Button>}
              </Space> },
          ]} />
      </>}
      <Modal open={closing} title={t("requestClosure")} onCancel={() => setClosing(false)} onOk={() => closeForm.submit()} okText={t("confirm")} destroyOnHidden>
        <Form form={closeForm} layout="vertical" onFinish={async (v) => {
          setError(undefined);
          try { await api(`traceability/recalls/${recallId}/close`, { body: { summary: v.summary } }); setClosing(false); refresh(); }
          catch (e) { setError(e); setClosing(false); }
        }}>
          <Form.Item name="summary" label={t("summary")} rules={[{ required: true }]}><Input.TextArea rows={3} /></Form.Item>
        </Form>
      </Modal>
      <NoticeModal acting={acting} recallId={recallId!} onClose={() => setActing(null)} onDone={() => { setActing(null); refresh(); }} onError={setError} />
    </Card>
  );
}

function NoticeModal({ acting, recallId, onClose, onDone, onError }: { acting: { kind: "notify" | "acknowledge"; consignee: Row } | null; recallId: string; onClose: () => void; onDone: () => void; onError: (e: unknown) => void }) {
  const t = useT();
  const [form] = Form.useForm();
  return (
    <Modal open={!!acting} title={acting ? `${t(acting.kind)} · ${acting.consignee.name ?? ""}` : ""} onCancel={onClose} onOk={() => form.submit()} okText={t("confirm")} destroyOnHidden>
      <Form form={form} layout="vertical" initialValues={{ method: "phone" }} onFinish={async (v) => {
        if (!acting) return;
        try {
          const body = acting.kind === "notify"
            ? { consignee_id: acting.consignee.consignee_id, notified_at: nowIso(), method: v.method, note: v.note || undefined }
            : { consignee_id: acting.consignee.consignee_id, acknowledged_at: nowIso(), acknowledged_by: v.by, note: v.note || undefined };
          await api(`traceability/recalls/${recallId}/${acting.kind === "notify" ? "notifications" : "acknowledgements"}`, { body });
          onDone();
        } catch (e) { onError(e); onClose(); }
      }}>
        {acting?.kind === "notify"
          ? <Form.Item name="method" label={t("method")}><Select options={["email", "phone", "fax", "letter", "visit", "portal"].map((m) => ({ value: m }))} /></Form.Item>
          : <Form.Item name="by" label={t("by")} rules={[{ required: true }]}><Input /></Form.Item>}
        <Form.Item name="note" label={t("x_note")}><Input.TextArea rows={2} /></Form.Item>
      </Form>
    </Modal>
  );
}

/** Taking lots or units out of an open case's scope, four eyes: one recall officer proposes it with a reason, a
 * second approves it, or someone rejects it with a reason. The console does not hide Approve from the proposer: the
 * domain refuses it (409 four-eyes), and that answer is what the officer sees. */
function ScopeReductions({ recall, onChanged }: { recall: Row; onChanged: () => void }) {
  const t = useT();
  const me = useMe();
  const recallId: string = recall.recall_id;
  const proposals = useLoad(() => api<Row[]>(`traceability/recalls/${recallId}/scope-reductions`), [recallId]);
  const [proposing, setProposing] = useState(false);
  const [rejecting, setRejecting] = useState<Row | null>(null);
  const [error, setError] = useState<unknown>();
  const open = recall.status === "open";
  // A proposal as the command left it replaces (or joins) the list's copy, which a read may not have caught up with.
  const keep = (answer: Row) => {
    const list = proposals.data ?? [];
    proposals.set(list.some((p) => p.proposal_id === answer.proposal_id)
      ? list.map((p) => p.proposal_id === answer.proposal_id ? answer : p) : [...list, answer]);
  };
  const decide = async (proposal: Row, decision: "approval" | "rejection", reason?: string) => {
    setError(undefined);
    try {
      keep(await api<Row>(`traceability/recalls/${recallId}/scope-reductions/${proposal.proposal_id}/${decision}`,
        decision === "rejection" ? { body: { reason } } : { method: "POST" }));
      onChanged();
      return true;
    } catch (e) { setError(e); return false; }
  };
  const what = (p: Row) => [...p.lots.map((l: Row) => `${l.gtin}/${l.lot}`), ...p.serials.map((u: Row) => `${u.gtin}/${u.serial}`)].join(", ");
  const statusTag = (s: string) => <Tag color={TONE[s === "approved" ? "green" : s === "rejected" ? "red" : "orange"]}>{t(`x_proposal_${s}`)}</Tag>;
  return (
    <div data-testid="scope-reductions">
      <Space style={{ marginTop: 16, width: "100%", justifyContent: "space-between" }} wrap>
        <Typography.Title level={3} style={{ fontSize: 16, margin: 0 }}>{t("scopeReductions")}</Typography.Title>
        {open && can(me, "recall:manage") && <Button onClick={() => setProposing(true)}>{t("proposeReduction")}</Button>}
      </Space>
      <div style={{ marginTop: 8 }}><ProblemAlert error={proposals.error ?? error} /></div>
      <div className="table-scroll" tabIndex={0} role="region" aria-label={t("scopeReductions")}>
        <Table<Row> size="small" rowKey="proposal_id" dataSource={proposals.data ?? []} loading={proposals.loading}
          pagination={{ pageSize: 10, hideOnSinglePage: true }} style={{ marginTop: 8 }}
          columns={[{ title: t("lot"), render: (_, p) => what(p) }, { title: t("reason"), dataIndex: "reason" },
            { title: t("x_proposed_by"), dataIndex: "proposed_by" },
            { title: t("status"), dataIndex: "status", render: (s) => <span data-testid="proposal-status">{statusTag(s)}</span> },
            { title: t("x_decided_by"), dataIndex: "decided_by", render: (d, p) => d ? `${d}${p.rejection_reason ? ` · ${p.rejection_reason}` : ""}` : "—" },
            { title: t("actions"), render: (_, p) => open && p.status === "pending" && <Space>
              {can(me, "recall:approve") && <Button size="small" type="primary" onClick={() => decide(p, "approval")}>{t("approve")}</Button>}
              {can(me, "recall:approve") && <Button size="small" danger onClick={() => setRejecting(p)}>{t("reject")}</Button>}
            </Space> }]} />
      </div>
      <ProposeReductionModal open={proposing} recall={recall} onClose={() => setProposing(false)}
        onDone={(answer) => { setProposing(false); keep(answer); onChanged(); }} />
      <RejectModal title={rejecting ? `${t("reject")} · ${what(rejecting)}` : ""} open={!!rejecting} onClose={() => setRejecting(null)}
        onSubmit={async (reason) => { const proposal = rejecting!; setRejecting(null); await decide(proposal, "rejection", reason); }} />
    </div>
  );
}

function ProposeReductionModal({ open, recall, onClose, onDone }: { open: boolean; recall: Row; onClose: () => void; onDone: (proposal: Row) => void }) {
  const t = useT();
  const [form] = Form.useForm();
  const [key, setKey] = useState(newKey);
  const [error, setError] = useState<unknown>();
  const lotOptions = [...recall.lots, ...recall.kit_lots].map((l: Row) => ({ value: `${l.gtin}|${l.lot}`, label: `${l.gtin} / ${l.lot}` }));
  const serialOptions = recall.serials.map((u: Row) => ({ value: `${u.gtin}|${u.serial}`, label: `${u.gtin} / ${u.serial}` }));
  return (
    <Modal open={open} title={t("proposeReduction")} onCancel={onClose} onOk={() => form.submit()} okText={t("confirm")} destroyOnHidden>
      <ProblemAlert error={error} />
      <Form form={form} layout="vertical" name="reduce" onFinish={async (v) => {
        setError(undefined);
        const split = (value: string) => value.split("|");
        try {
          const proposal = await api<Row>(`traceability/recalls/${recall.recall_id}/scope-reductions`, { idempotencyKey: key, body: {
            lots: (v.lots ?? []).map((x: string) => ({ gtin: split(x)[0], lot: split(x)[1] })),
            serials: (v.serials ?? []).map((x: string) => ({ gtin: split(x)[0], serial: split(x)[1] })),
            reason: v.reason.trim() } });
          setKey(newKey());
          onDone(proposal);
        } catch (e) { setError(e); }
      }}>
        {lotOptions.length > 0 && <Form.Item name="lots" label={t("lot")}><Checkbox.Group options={lotOptions} /></Form.Item>}
        {serialOptions.length > 0 && <Form.Item name="serials" label={t("serial")}><Checkbox.Group options={serialOptions} /></Form.Item>}
        <Form.Item name="reason" label={t("reason")} rules={[{ required: true, whitespace: true }]}><Input.TextArea rows={2} /></Form.Item>
      </Form>
    </Modal>
  );
}

function RejectModal({ open, title, onClose, onSubmit }: { open: boolean; title: string; onClose: () => void; onSubmit: (reason: string) => void }) {
  const t = useT();
  const [form] = Form.useForm();
  return (
    <Modal open={open} title={title} onCancel={onClose} onOk={() => form.submit()} okText={t("confirm")} destroyOnHidden>
      <Form form={form} layout="vertical" name="reject" onFinish={(v) => onSubmit(v.reason.trim())}>
        <Form.Item name="reason" label={t("reason")} rules={[{ required: true, whitespace: true }]}><Input.TextArea rows={2} /></Form.Item>
      </Form>
    </Modal>
  );
}
