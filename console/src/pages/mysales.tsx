// A portal user's own figures: what it bought (or, for a distributor, sold through us) by month and product, from
// analytics — the service keeps it to the user's own organisation — and a distributor's rebate discounts to come.
import { Card, Col, Descriptions, Row as GridRow, Table, Typography } from "antd";
import type { EChartsCoreOption } from "echarts";
import { useMemo } from "react";
import { ApiError, api } from "../api";
import { Chart } from "../chart";
import { Money, ProblemAlert, useLoad, useMe } from "../components";
import { chartNumber, money } from "../format";
import { useT } from "../i18n";
import { scopeOf } from "../session";
import { useSales } from "./dashboard";

type Row = Record<string, any>;

export function MySalesPage() {
  const t = useT();
  const me = useMe();
  const distributor = scopeOf(me, "distributor");
  const byMonth = useSales("month");
  const byProduct = useSales("product");
  const allowance = useLoad(() => distributor ? api<Row>(`billing/rebate-allowances/${distributor}`).catch((e) => {
    if (e instanceof ApiError && e.status === 404) return null;  // no rebate settled yet
    throw e;
  }) : Promise.resolve(null), [distributor]);
  const monthOption: EChartsCoreOption | null = useMemo(() => byMonth.data?.items.length ? {
    tooltip: { trigger: "axis", valueFormatter: (v: number) => money(String(v)) }, grid: { left: 70, right: 16, top: 16, bottom: 32 },
    xAxis: { type: "category", data: byMonth.data.items.map((r) => r.key) }, yAxis: { type: "value" },
    series: [{ type: "bar", barMaxWidth: 48, itemStyle: { color: "#0958d9" }, data: byMonth.data.items.map((r) => chartNumber(r.amount)) }], aria: { enabled: true },
  } : null, [byMonth.data]);
  return (
    <>
      <Typography.Title level={2} className="page-title">{t("mySales")}</Typography.Title>
      <ProblemAlert error={byMonth.error ?? byProduct.error ?? allowance.error} />
      <GridRow gutter={[16, 16]}>
        <Col xs={24} lg={12}>
          <Card title={`${t("salesByMonth")}${byMonth.data ? ` · ${money(byMonth.data.amount, byMonth.data.currency)}` : ""}`}>
            <Chart option={monthOption} empty={byMonth.data === null ? t("analyticsUnavailable") : t("noData")} label={t("salesByMonth")} testId="chart-my-sales" height={260} />
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={t("byProduct")}>
            <Table<Row> size="small" rowKey="key" dataSource={byProduct.data?.items ?? []} pagination={false}
              columns={[{ title: t("gtin"), dataIndex: "name", render: (n, r) => n ?? r.key }, { title: t("units"), dataIndex: "units", align: "right" },
                { title: t("amount"), dataIndex: "amount", align: "right", render: (v) => <Money value={v} /> }]} />
          </Card>
        </Col>
        {distributor && <Col span={24}>
          <Card title={t("rebateAllowance")} data-testid="rebate-allowance">
            {allowance.data ? <Descriptions size="small" items={[
              { label: t("balance"), children: <Money value={allowance.data.balance} /> },
              { label: t("settlements"), children: (allowance.data.granted ?? []).join(", ") || "—" }]} /> : t("noData")}
          </Card>
        </Col>}
      </GridRow>
    </>
  );
}
