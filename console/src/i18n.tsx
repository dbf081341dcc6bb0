// Our own strings, Chinese first (zh-CN is the default), English on the switch; antd's own texts come from its
// locales (zhCN / enUS) through ConfigProvider.
import { createContext, useContext } from "react";

export type Language = "zh" | "en";

const STRINGS: Record<string, [string, string]> = {
  app: ["医疗器械 ERP", "Medical-device ERP"],
  login: ["登录", "Sign in"], logout: ["退出", "Sign out"], devLogin: ["开发登录", "Development login"],
  oidcLogin: ["通过统一身份认证登录", "Sign in with the identity provider"],
  username: ["用户名", "User name"], role: ["角色", "Role"], organisation: ["所属机构", "Organisation"],
  distributor: ["经销商", "Distributor"], hospital: ["医院", "Hospital"], language: ["语言", "Language"],
  timezone: ["时区", "Time zone"], home: ["首页", "Home"], welcome: ["欢迎", "Welcome"],
  orderDesk: ["订单台", "Order desk"], customers: ["客户", "Customers"], hospitals: ["医院", "Hospitals"],
  distributors: ["经销商", "Distributors"], quotes: ["报价", "Quotes"], newQuote: ["新建报价", "New quote"],
  contracts: ["合同", "Contracts"], orders: ["订单", "Orders"], newOrder: ["新建订单", "New order"],
  order: ["订单", "Order"], quote: ["报价单", "Quote"], contract: ["合同", "Contract"],
  recall: ["召回", "Recalls"], recallLookup: ["召回查询", "Recall lookup"], recallCases: ["召回案例", "Recall cases"],
  overdue: ["逾期", "Overdue"], dashboard: ["渠道看板", "Channel dashboard"], finance: ["财务", "Finance"],
  invoices: ["发票", "Invoices"], aging: ["账龄", "Aging"], dunning: ["催收", "Dunning"], payments: ["收款", "Payments"],
  warehouse: ["仓库", "Warehouse"], stock: ["库存", "Stock"], picking: ["扫码拣货", "Picking by scan"],
  audit: ["审计", "Audit"], history: ["历史", "History"], portal: ["门户", "Portal"],
  selloutUpload: ["流向上传", "Sell-out upload"], selloutReports: ["流向报告", "Sell-out reports"],
  recallNotices: ["召回通知", "Recall notices"], acceptance: ["扫码验收", "Acceptance by scan"],
  statements: ["对账单", "Statements"], name: ["名称", "Name"], id: ["编号", "ID"], status: ["状态", "Status"],
  province: ["省份", "Province"], city: ["城市", "City"], grade: ["等级", "Grade"], region: ["区域", "Region"],
  tier: ["级别", "Tier"], total: ["合计", "Total"], amount: ["金额", "Amount"], quantity: ["数量", "Quantity"],
  unitPrice: ["含税单价", "Unit price (incl. VAT)"], netUnitPrice: ["不含税单价", "Net unit price"],
  gtin: ["GTIN", "GTIN"], lot: ["批号", "Lot"], serial: ["序列号", "Serial"], expiry: ["有效期", "Expiry"],
  warehouseCode: ["仓库", "Warehouse"], location: ["库位", "Location"], placedAt: ["下单时间", "Placed"],
  updatedAt: ["更新时间", "Updated"], customer: ["客户", "Customer"], reference: ["客户订单号", "Customer PO"],
  validUntil: ["有效期至", "Valid until"], lines: ["明细", "Lines"], addLine: ["添加明细", "Add line"],
  remove: ["删除", "Remove"], search: ["查询", "Search"], reset: ["重置", "Reset"], actions: ["操作", "Actions"],
  submit: ["提交", "Submit"], approve: ["批准", "Approve"], reject: ["驳回", "Reject"], send: ["发送客户", "Send"],
  accept: ["客户接受", "Accept"], save: ["保存", "Save"], cancel: ["取消", "Cancel"], confirm: ["确认", "Confirm"],
  reason: ["原因", "Reason"], priceExplanation: ["价格说明", "Price explanation"], priceSource: ["价格来源", "Price source"],
  validate: ["预校验", "Check"], placeOrder: ["下单", "Place order"], validationOk: ["校验通过：可以下单", "Checks passed: the order can be placed"],
  holds: ["冻结", "Holds"], holdHistory: ["冻结记录", "Hold history"], release: ["解除", "Release"],
  placeHold: ["手工冻结", "Put on hold"], expiresOn: ["解除有效期至", "Release expires on"],
  shipments: ["发货", "Shipments"], returns: ["退货", "Returns"], shipped: ["已发", "Shipped"],
  draftContract: ["据此起草合同", "Draft a contract from it"], sign: ["签署", "Sign"], validFrom: ["生效日", "Valid from"],
  validTo: ["到期日", "Valid to"], orderFromContract: ["按合同下单", "Order under this contract"],
  noData: ["暂无数据", "No data"], analyticsUnavailable: ["销售分析服务暂不可用", "Sales analytics is not available"],
  salesByRegion: ["区域销售", "Sales by region"], salesByMonth: ["月度销售", "Sales by month"],
  ranking: ["经销商排名", "Distributor ranking"], scorecards: ["经销商积分卡", "Distributor scorecards"],
  rebates: ["返利计提", "Rebate accruals"], settlements: ["返利结算", "Rebate settlements"],
  diversion: ["窜货预警", "Diversion alerts"], selloutReview: ["流向待审核", "Sell-out review"],
  promotions: ["促销活动", "Promotions"], lookup: ["查询", "Look up"], consignees: ["收货方", "Consignees"],
  affectedLots: ["受影响批次", "Affected lots"], openRecall: ["发起召回", "Open a recall"], title: ["标题", "Title"],
  level: ["级别", "Level"], decidedAt: ["决定时间", "Decided at"], notifyBy: ["通知截止", "Notify by"],
  notify: ["通知", "Notify"], acknowledge: ["回执", "Acknowledge"], notified: ["已通知", "Notified"],
  acknowledged: ["已回执", "Acknowledged"], reports: ["报告下载", "Reports"], eventReport: ["召回事件报告", "Recall event report"],
  implementationReport: ["召回实施报告", "Implementation report"], download: ["下载", "Download"],
  effectiveness: ["召回效果", "Effectiveness"], unitsShipped: ["发出数量", "Units shipped"],
  unitsOut: ["在外数量", "Units still out"], via: ["经由", "Via"], contact: ["联系人", "Contact"],
  method: ["方式", "Method"], by: ["经办人", "By"], when: ["时间", "When"], what: ["事件", "Event"], why: ["原因", "Why"],
  who: ["操作人", "Who"], service: ["服务", "Service"], aggregateId: ["对象编号", "Aggregate ID"],
  scanHere: ["请扫码（扫码枪输入后回车）", "Scan here (the scanner types and presses Enter)"], scans: ["已扫码", "Scanned"],
  confirmPicks: ["确认拣货", "Confirm picks"], dispatch: ["发运", "Dispatch"], carrier: ["承运商", "Carrier"],
  tracking: ["运单号", "Tracking number"], reserved: ["已预留", "Reserved"], picked: ["已拣", "Picked"],
  orderId: ["订单号", "Order ID"], open: ["打开", "Open"], acceptedBy: ["验收人", "Accepted by"],
  acceptDelivery: ["确认验收", "Accept the delivery"], expected: ["应收", "Expected"], scanned: ["已扫", "Scanned"],
  accepted: ["已验收", "Accepted"], delivered: ["已送达", "Delivered"], chooseShipment: ["选择到货", "Choose a delivery"],
  period: ["期间", "Period"], file: ["文件", "File"], upload: ["上传", "Upload"], rowsRejected: ["被拒绝的行", "Rows rejected"],
  row: ["行", "Row"], field: ["字段", "Field"], rule: ["规则", "Rule"], message: ["说明", "Message"],
  invoiceNo: ["发票号", "Invoice no."], issuedOn: ["开票日", "Issued"], dueOn: ["到期日", "Due"], open_amount: ["未收", "Open"],
  balance: ["余额", "Balance"], bucket: ["账龄段", "Bucket"], nearExpiry: ["近效期", "Near expiry"],
  onlyNearExpiry: ["只看近效期", "Near expiry only"], units: ["数量", "Units"], notFound: ["未找到", "Not found"],
  loading: ["加载中…", "Loading…"], progress: ["进度", "Progress"], done: ["完成", "Done"],
  viewAll: ["查看", "View"], created: ["已创建", "Created"], saved: ["已保存", "Saved"], more: ["更多", "More"],
  optional: ["可选", "optional"], rulebookPrice: ["留空则按价格规则定价", "empty: the rulebook's price"],
  shipToDistributor: ["经由经销商配送", "Ship through distributor"], placedBy: ["经办", "By"],
  receipts: ["收货", "Receiving"], quality: ["质检", "Quality"], result: ["结果", "Result"],
  totalUnits: ["总数量", "Total units"], lineCount: ["行数", "Lines"], kind: ["类型", "Kind"],
  answer: ["确认", "Confirm"], statement: ["对账单", "Statement"], total_amount: ["订单金额", "Order amount"],
  invoice: ["发票", "Invoice"], flagged: ["标记", "Flags"], sold_at: ["销售日期", "Sold on"],
  noPermission: ["无权访问此页面", "You may not open this page"], backHome: ["返回首页", "Back home"],
  hospitalPortal: ["医院门户", "Hospital portal"], distributorPortal: ["经销商门户", "Distributor portal"],
  exportCsv: ["导出 CSV", "Export CSV"], deliveryDate: ["要求交货日", "Requested delivery date"], price: ["价格", "Price"], recordPayment: ["登记收款", "Record a payment"], byItem: ["按产品与日期范围", "By item and date range"],
  requestClosure: ["申请结案", "Request closure"], approveClosure: ["批准结案（第二人）", "Approve closure (a second officer)"],
  closureRequested: ["已申请结案", "Closure requested"], closed: ["已结案", "Closed"], summary: ["结案总结", "Summary"],
  cancelOrder: ["取消订单", "Cancel the order"], recordReturn: ["登记退货", "Record a return"], creditNote: ["开红字发票", "Credit note"],
  inventoryHealth: ["库存健康度", "Inventory health"], returnReasons: ["退货原因", "Return reasons"], mySales: ["我的销售与返利", "My sales and rebates"],
  rebateAllowance: ["待抵扣票折", "Rebate discounts to come (票折)"], byProduct: ["按产品", "By product"], allocate: ["核销（最早到期优先）", "Allocate, oldest due first"], exportXlsx: ["导出 Excel", "Export Excel"],
  cameraScan: ["用相机扫码", "Scan with the camera"], cameraUnavailable: ["无法使用相机", "The camera cannot be used"],
  cameraView: ["相机画面", "Camera view"], cameraHint: ["将条码对准取景框，识别后自动关闭", "Hold the code in view: it closes once read"],
  // column and field names
  x_allocated: ["已核销", "Allocated"],
  x_allocated2: ["已分配", "Allocated"],
  x_as_of: ["时点", "As of"],
  x_attainment: ["达成率", "Attainment"],
  x_available: ["可用", "Available"],
  x_award: ["中选价", "VBP award price"],
  x_baseline: ["基线", "Baseline"],
  x_budget: ["预算", "Budget"],
  x_budget_used: ["预算使用", "Budget used"],
  x_capped: ["封顶", "Capped"],
  x_ceiling: ["挂网限价", "Platform ceiling"],
  x_committed: ["承诺", "Committed"],
  x_correlation: ["关联号", "Correlation"],
  x_credit_the_customer: ["红字冲销", "Credit the customer"],
  x_currency: ["币种", "Currency"],
  x_disposition: ["处置", "Disposition"],
  x_dispute: ["争议", "Dispute"],
  x_doi: ["库存天数", "Days of inventory"],
  x_floor: ["最低限价", "Minimum price"],
  x_floored: ["保底", "Floored"],
  x_free_units: ["赠品", "Free units"],
  x_full: ["全额红冲", "Credit everything left"],
  x_line: ["行", "Invoice line"],
  x_list: ["目录价", "List price"],
  x_matched: ["适用", "Matched"],
  x_mode: ["方式", "Mode"],
  x_net: ["不含税", "Net"],
  x_net2: ["不含税金额", "Net amount"],
  x_note: ["备注", "Note"],
  x_on_hand: ["在库", "On hand"],
  x_ordered: ["已订", "Ordered"],
  x_payer: ["付款人", "Payer"],
  x_priority: ["优先级", "Priority"],
  x_produced: ["生产日期", "Produced"],
  x_reference: ["银行流水", "Bank reference"],
  x_reference2: ["报告编号", "Reference"],
  x_reported: ["医院名称", "Hospital name as reported"],
  x_rule: ["规则", "Rule"],
  x_scheme: ["召回体系", "Scheme"],
  x_sell_in: ["进货", "Sell-in"],
  x_sell_out: ["流向销售", "Sell-out"],
  x_sell_through: ["动销率", "Sell-through"],
  x_source: ["来源", "Source"],
  x_supplier: ["供应商", "Supplier"],
  x_target: ["目标", "Target"],
  x_unapplied: ["未核销", "Unapplied"],
  x_uplift: ["提升", "Uplift"],
  x_vat: ["税额", "VAT"],
  x_why_not: ["原因", "Why not"],
  x_winner: ["规则", "Winning rule"],
};

export const LanguageContext = createContext<{ language: Language; setLanguage: (l: Language) => void }>({
  language: "zh", setLanguage: () => undefined,
});

export function translate(language: Language, key: string): string {
  const entry = STRINGS[key];
  return entry ? entry[language === "zh" ? 0 : 1] : key;
}

export function useT(): (key: string) => string {
  const { language } = useContext(LanguageContext);
  return (key: string) => translate(language, key);
}

export function useLanguage() {
  return useContext(LanguageContext);
}

/** Status words the services answer, shown in the user's language. */
const STATUS: Record<string, [string, string]> = {
  draft: ["草稿", "draft"], submitted: ["已提交", "submitted"], approved: ["已批准", "approved"],
  rejected: ["已驳回", "rejected"], sent: ["已发送", "sent"], accepted: ["已接受", "accepted"], expired: ["已过期", "expired"],
  on_hold: ["冻结中", "on hold"], placed: ["已下单", "placed"], reserved: ["已预留", "reserved"],
  partially_reserved: ["部分预留", "partially reserved"], backordered: ["缺货待补", "backordered"],
  partially_shipped: ["部分发货", "partially shipped"], shipped: ["已发货", "shipped"], price_rejected: ["价格驳回", "price rejected"],
  cancelled: ["已取消", "cancelled"], closed: ["已关闭", "closed"], open: ["进行中", "open"], signed: ["已签署", "signed"],
  active: ["生效", "active"], terminated: ["已终止", "terminated"], credit: ["信用冻结", "credit"],
  price_approval: ["价格审批", "price approval"], compliance: ["合规冻结", "compliance"], manual: ["手工冻结", "manual"],
  to_notify: ["待通知", "to notify"], pending: ["待通知", "pending"], overdue: ["逾期未通知", "overdue"],
  notified_late: ["逾期后通知", "notified late"], notified: ["已通知", "notified"], acknowledged: ["已回执", "acknowledged"],
  issued: ["已开票", "issued"], paid: ["已付清", "paid"], partially_paid: ["部分付款", "partially paid"],
  released: ["已放行", "released"], quarantine: ["待检", "quarantine"], held: ["冻结", "held"], available: ["可用", "available"],
  in_stock: ["在库", "in stock"], returned: ["已退回", "returned"], scrapped: ["已报废", "scrapped"],
};

export function useStatus(): (value: string) => string {
  const { language } = useContext(LanguageContext);
  return (value: string) => STATUS[value]?.[language === "zh" ? 0 : 1] ?? value;
}
