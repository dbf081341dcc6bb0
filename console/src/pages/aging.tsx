// Finance's aging report: open receivables by age as of today, grouped by customer, region or channel, as a chart.
import { Card, Segmented, Table, Typography } from "antd";
import type { EChartsCoreOption } from "echarts";
import { useMemo, useState } from "react";
import { api } from "../api";
import { Chart } from "../chart";
import { Money, ProblemAlert, useLoad } from "../components";
import { chartNumber, money } from "../format";
import { useT } from "../i18n";

type Row = Record<string, any>;

export function AgingPage() {
  const t = useT();
  const [group, setGroup] = useState("customer");
  const aging = useLoad(() => api<Row>("billing/receivables/aging", { query: { group } }), [group]);
  const buckets: string[] = useMemo(() => aging.data?.groups?.[0] ? Object.keys(aging.data.groups[0].buckets) : [], [aging.data]);
  const option: EChartsCoreOption | null = useMemo(() => aging.data?.groups?.length ? {
    tooltip: { trigger: "axis", valueFormatter: (v: number) => money(String(v)) }, legend: { top: 0 }, grid: { left: 160, right: 24, top: 40, bottom: 24 },
    xAxis: { type: "value" }, yAxis: { type: "category", inverse: true, data: aging.data.groups.map((g: Row) => g.name ?? g.key) },
    series: buckets.map((b) => ({ type: "bar", stack: "aging", name: b, data: aging.data!.groups.map((g: Row) => chartNumber(g.buckets[b])) })),
    aria: { enabled: true },
  } : null, [aging.data, buckets]);
  return (
    <>
      <Typography.Title level={2} className="page-title">{t("aging")}</Typography.Title>
      <Segmented value={group} onChange={(v) => setGroup(String(v))} options={["customer", "region", "channel"]} style={{ marginBottom: 12 }} />
      <ProblemAlert error={aging.error} />
      {aging.data && <Card size="small" style={{ marginBottom: 12 }}>
        {aging.data.as_of} · {t("total")} <Money value={aging.data.total} currency={aging.data.currency} /> · DSO {aging.data.dso ?? "—"}
      </Card>}
      <Chart option={option} empty={t("noData")} label={t("aging")} testId="chart-aging" />
      <Table<Row> size="small" rowKey="key" dataSource={aging.data?.groups ?? []} pagination={false} scroll={{ x: "max-content" }} style={{ marginTop: 12 }}
        columns={[{ title: t("customer"), dataIndex: "name", render: (n, r) => n ?? r.key },
          ...buckets.map((b) => ({ title: b, dataIndex: ["buckets", b], align: "right" as const, render: (v: string) => <Money value={v} /> })),
          { title: t("total"), dataIndex: "total", align: "right", render: (v) => <Money value={v} /> }]} />
    </>
  );
}

