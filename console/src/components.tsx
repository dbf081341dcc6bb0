// Building blocks every page uses: problems shown as the services answer them, paged and filtered tables, charts,
// names beside ids, downloads with progress.
import { Alert, Button, Form, Progress, Space, Table, Tag, Typography } from "antd";
import type { TableColumnsType } from "antd";
import { createContext, type ReactNode, useCallback, useContext, useEffect, useRef, useState } from "react";
import { ApiError, api, download, type Page } from "./api";
import { daysUntil, money } from "./format";
import { useStatus, useT } from "./i18n";
import type { Me } from "./session";

export const MeContext = createContext<Me | null>(null);
export function useMe(): Me | null {
  return useContext(MeContext);
}

/** A problem+json answer (or any error): its title, detail and each invalid field with its rule. */
export function ProblemAlert({ error }: { error: unknown }) {
  if (!error) return null;
  const problem = error instanceof ApiError ? error.problem : { title: String(error), status: 0 };
  const fields = problem.errors ?? [];
  return (
    <Alert type="error" showIcon role="alert" style={{ marginBottom: 16 }} data-testid="problem"
      title={`${problem.title}${problem.status ? ` (${problem.status})` : ""}`}
      description={<div>
        {problem.detail && <div>{problem.detail}</div>}
        {problem.rule && <div>rule: <code>{String(problem.rule)}</code></div>}
        {fields.length > 0 && <ul style={{ margin: "4px 0 0", paddingLeft: 20 }}>
          {fields.map((f, i) => <li key={i}><code>{f.field}</code>: {f.message}{f.rule ? ` (${f.rule})` : ""}</li>)}
        </ul>}
      </div>} />
  );
}

/** Load something once (and again when `deps` change); `reload` to refresh after a command, or `set` to show what
 * the command answered (an aggregate as the command left it: newer than a read that may still be on its way). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: unknown; loading: boolean; reload: () => void; set: (data: T) => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    load().then((d) => { if (live) { setData(d); setError(undefined); } })
      .catch((e) => { if (live) { setError(e); setData(undefined); } })
      .finally(() => { if (live) setLoading(false); });
    return () => { live = false; };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, round]);
  const set = useCallback((next: T) => { setData(next); setError(undefined); }, []);
  return { data, error, loading, reload: useCallback(() => setRound((r) => r + 1), []), set };
}

export interface PagedTableProps<T> {
  path: string;
  columns: TableColumnsType<T>;
  rowKey: string | ((row: T) => string);
  query?: Record<string, string | number | boolean | undefined | null>;
  filters?: ReactNode;
  pageSize?: number;
  testId?: string;
  rowClassName?: (row: T) => string;
  reloadKey?: unknown;
  label?: string;
}

/** A service's paged list (`?limit=&offset=` → {items,total,limit,offset}), with a filter form above it. */
export function PagedTable<T extends object>({ path, columns, rowKey, query, filters, pageSize = 20, testId,
                                               rowClassName, reloadKey, label }: PagedTableProps<T>) {
  const t = useT();
  const [form] = Form.useForm();
  const [page, setPage] = useState({ current: 1, size: pageSize });
  const [filter, setFilter] = useState<Record<string, unknown>>({});
  // After a command (reloadKey changed), what it changed reaches a list through the services' read models a moment
  // later: the list is read again now and a few times over the next seconds, so that it shows the change.
  const [followUp, setFollowUp] = useState(0);
  const mounted = useRef(false);
  useEffect(() => {
    if (!mounted.current) { mounted.current = true; return; }
    const timers = [800, 2000, 4500].map((ms) => window.setTimeout(() => setFollowUp((n) => n + 1), ms));
    return () => timers.forEach((timer) => window.clearTimeout(timer));
  }, [reloadKey]);
  const { data, error, loading } = useLoad<Page<T>>(() => api<Page<T>>(path, {
    query: { ...query, ...clean(filter), limit: page.size, offset: (page.current - 1) * page.size } as never,
  }), [path, JSON.stringify(query), JSON.stringify(filter), page.current, page.size, reloadKey, followUp]);
  return (
    <div data-testid={testId}>
      {filters && <Form form={form} layout="inline" style={{ marginBottom: 12, rowGap: 8 }}
        onFinish={(values) => { setFilter(values); setPage((p) => ({ ...p, current: 1 })); }}>
        {filters}
        <Form.Item><Space>
          <Button type="primary" htmlType="submit">{t("search")}</Button>
          <Button onClick={() => { form.resetFields(); setFilter({}); }}>{t("reset")}</Button>
        </Space></Form.Item>
      </Form>}
      <ProblemAlert error={error} />
      {/* A wide table scrolls in a region the keyboard can reach too (WCAG: scrollable regions are focusable). */}
      <div className="table-scroll" tabIndex={0} role="region" aria-label={label ?? path}>
        <Table<T> size="middle" rowKey={rowKey as never} columns={columns} dataSource={data?.items ?? []} loading={loading}
          rowClassName={rowClassName}
          pagination={{ current: page.current, pageSize: page.size, total: data?.total ?? 0, showSizeChanger: true,
            showTotal: (total) => `${t("total")} ${total}`, onChange: (current, size) => setPage({ current, size }) }} />
      </div>
    </div>
  );
}

function clean(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || value === null || value === "") continue;
    out[key] = typeof value === "object" && "format" in (value as object) ? (value as { format: (f: string) => string }).format("YYYY-MM-DD") : value;
  }
  return out;
}

export function Money({ value, currency }: { value: string | number | null | undefined; currency?: string }) {
  return <span className="money">{money(value, currency)}</span>;
}

/** Tag colours as solid backgrounds under white text, each at 4.5:1 or more (antd's light presets are not). */
export const TONE: Record<string, string> = {
  green: "#237804", blue: "#0958d9", orange: "#ad4e00", red: "#a8071a", cyan: "#006d75", grey: "#595959",
};

export function StatusTag({ value }: { value: string }) {
  const status = useStatus();
  const colour: Record<string, string> = {
    shipped: "green", accepted: "green", approved: "green", acknowledged: "green", active: "green", available: "green",
    reserved: "blue", sent: "blue", open: "blue", placed: "blue", on_hold: "orange", submitted: "orange",
    backordered: "orange", pending: "orange", quarantine: "orange", partially_shipped: "cyan", partially_reserved: "cyan",
    rejected: "red", price_rejected: "red", overdue: "red", notified_late: "orange", notified: "cyan",
    credit: "orange", price_approval: "orange", compliance: "red", manual: "orange",
    confirmed: "green", disputed: "orange", resolved: "cyan", matched: "green", unmatched: "orange", proposed: "orange",
  };
  return <Tag color={TONE[colour[value] ?? "grey"]}>{status(value)}</Tag>;
}

/** An id with the name it stands for: names are shown beside ids, never instead of them (ids are what people quote). */
export function Named({ name, id }: { name?: string | null; id?: string | null }) {
  if (!id) return <span>—</span>;
  return <span>{name ?? ""} <Typography.Text type="secondary" copyable={{ text: id }} style={{ fontSize: 12 }}>{id.slice(0, 8)}</Typography.Text></span>;
}

/** Names of hospitals and distributors, for lists that answer ids only. Loaded once per session, as far as the
 * caller may read them. */
export function useDirectory(): (id?: string | null) => string | undefined {
  const me = useMe();
  const [names, setNames] = useState<Record<string, string>>({});
  useEffect(() => {
    const kinds = [["hospitals", "hospital_id", "hospital:read"], ["distributors", "distributor_id", "distributor:read"]];
    for (const [kind, key, permission] of kinds) {
      if (!me?.permissions.includes(permission)) continue;
      api<Page<Record<string, string>>>(`channel/${kind}`, { query: { limit: 500 } })
        .then((page) => setNames((n) => ({ ...n, ...Object.fromEntries(page.items.map((r) => [r[key], r.name])) })))
        .catch(() => undefined);
    }
  }, [me]);
  return (id) => (id ? names[id] : undefined);
}

/** Item names by GTIN, for lists that answer GTINs only (the catalogue, as far as the caller may read it). */
export function useItemNames(): (gtin?: string | null) => string | undefined {
  const me = useMe();
  const [names, setNames] = useState<Record<string, string>>({});
  useEffect(() => {
    if (!me?.permissions.includes("item:read")) return;
    api<Page<Record<string, string>>>("inventory/items", { query: { limit: 500 } })
      .then((page) => setNames(Object.fromEntries(page.items.map((i) => [i.gtin, i.name]))))
      .catch(() => undefined);
  }, [me]);
  return (gtin) => (gtin ? names[gtin] : undefined);
}

/** A GTIN with the item's name beside it. */
export function Item({ gtin, name }: { gtin: string; name?: string | null }) {
  return <span>{name ? `${name} ` : ""}<Typography.Text type="secondary">{gtin}</Typography.Text></span>;
}

export function ExpiryTag({ expiry, days = 90 }: { expiry: string; days?: number }) {
  const left = daysUntil(expiry);
  const t = useT();
  if (left < 0) return <Tag color={TONE.red}>{expiry} ✕</Tag>;
  if (left <= days) return <Tag color={TONE.orange} data-near-expiry="true">{expiry} · {t("nearExpiry")} {left}d</Tag>;
  return <span>{expiry}</span>;
}

/** A button that downloads a document and shows how far it got. */
export function DownloadButton({ path, query, name, label }: { path: string; query?: Record<string, string>; name: string; label: string }) {
  const t = useT();
  const [share, setShare] = useState<number | null>(null);
  const [error, setError] = useState<unknown>();
  return (
    <Space direction="vertical" size={2}>
      <Button loading={share !== null && share < 1} onClick={() => {
        setError(undefined);
        setShare(0);
        download(path, query ?? {}, name, setShare).catch((e) => { setError(e); setShare(null); });
      }}>{label}</Button>
      {share !== null && <Progress aria-label={`${label} ${t("progress")}`} percent={share < 0 ? 50 : Math.round(share * 100)} size="small" status={share >= 1 ? "success" : "active"} />}
      <ProblemAlert error={error} />
    </Space>
  );
}

export function Json({ value }: { value: unknown }) {
  return <pre style={{ margin: 0, fontSize: 12, whiteSpace: "pre-wrap", maxWidth: 640 }}>{JSON.stringify(value, null, 2)}</pre>;
}
