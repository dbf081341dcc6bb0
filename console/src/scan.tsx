// A scanner types into the focused field and presses Enter: each scan is parsed by the inventory service
// (POST /udi/parse — GS1 with GS separators or parentheses, HIBC), so the console never guesses at a barcode.
import { Input, type InputRef } from "antd";
import { useEffect, useRef, useState } from "react";
import { api } from "./api";
import { ProblemAlert } from "./components";
import { useT } from "./i18n";

export interface ParsedUdi { gtin: string | null; lot: string | null; serial: string | null; expiry: string | null; quantity: number | null; raw: string }

export function ScanInput({ onScan, disabled }: { onScan: (parsed: ParsedUdi, raw: string) => void; disabled?: boolean }) {
  const t = useT();
  const input = useRef<InputRef>(null);
  const [value, setValue] = useState("");
  const [error, setError] = useState<unknown>();
  useEffect(() => { input.current?.focus(); }, []);
  const scanned = async () => {
    const raw = value;
    setValue("");
    if (!raw.trim()) return;
    setError(undefined);
    try {
      onScan(await api<ParsedUdi>("inventory/udi/parse", { body: { code: raw } }), raw);
    } catch (e) { setError(e); }
    input.current?.focus();
  };
  return (
    <div>
      <label htmlFor="scan" style={{ display: "block", marginBottom: 4 }}>{t("scanHere")}</label>
      <Input id="scan" ref={input} className="scan-input" size="large" value={value} disabled={disabled} autoComplete="off"
        inputMode="none" data-testid="scan" onChange={(e) => setValue(e.target.value)} onPressEnter={scanned} />
      <div style={{ marginTop: 8 }}><ProblemAlert error={error} /></div>
    </div>
  );
}
