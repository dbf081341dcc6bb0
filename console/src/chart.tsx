// Apache ECharts, in a module of its own: only the pages with charts load it (they are loaded lazily, App.tsx).
import * as echarts from "echarts";
import { useEffect, useRef } from "react";

/** An Apache ECharts chart; with no data, an empty frame and a message saying why. */
export function Chart({ option, empty, height = 320, label, testId }: { option: echarts.EChartsCoreOption | null; empty?: string; height?: number; label: string; testId?: string }) {
  const element = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!element.current || !option) return;
    const chart = echarts.init(element.current, undefined, { renderer: "canvas" });
    chart.setOption(option);
    const observer = new ResizeObserver(() => chart.resize());
    observer.observe(element.current);
    return () => { observer.disconnect(); chart.dispose(); };
  }, [option]);
  if (!option) {
    return <div data-testid={testId} data-empty="true" role="img" aria-label={label}
      style={{ height, display: "flex", alignItems: "center", justifyContent: "center", border: "1px dashed #d9d9d9", color: "#595959" }}>
      {empty}
    </div>;
  }
  return <div data-testid={testId} ref={element} role="img" aria-label={label} style={{ height, width: "100%" }} />;
}

