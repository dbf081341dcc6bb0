// A scanner types into the focused field and presses Enter: each scan is parsed by the inventory service
// (POST /udi/parse — GS1 with GS separators or parentheses, HIBC), so the console never guesses at a barcode.
// On a phone the camera can read the code instead, through the browser's own BarcodeDetector (no library, nothing
// fetched): what it decodes goes through the very same parse. Where the browser has no BarcodeDetector, none of the
// formats a UDI is printed in, or no camera, the camera button is not shown and the field works as before.
import { CameraOutlined } from "@ant-design/icons";
import { Alert, Button, Input, type InputRef, Modal } from "antd";
import { useEffect, useRef, useState } from "react";
import { api } from "./api";
import { ProblemAlert } from "./components";
import { useT } from "./i18n";

export interface ParsedUdi { gtin: string | null; lot: string | null; serial: string | null; expiry: string | null; quantity: number | null; raw: string }

// The Shape Detection API is not in TypeScript's DOM library yet: the little of it used here.
interface DetectedBarcode { rawValue: string; format: string }
interface BarcodeDetectorLike { detect(source: HTMLVideoElement): Promise<DetectedBarcode[]> }
interface BarcodeDetectorClass {
  new (options?: { formats?: string[] }): BarcodeDetectorLike;
  getSupportedFormats(): Promise<string[]>;
}

/** What UDIs are printed in: GS1 DataMatrix (most), GS1 QR, GS1-128, GS1 DataBar (the names browsers have used). */
const UDI_FORMATS = ["data_matrix", "qr_code", "code_128", "gs1_databar", "gs1_databar_expanded", "databar", "databar_expanded"];

function detectorClass(): BarcodeDetectorClass | undefined {
  return (window as unknown as { BarcodeDetector?: BarcodeDetectorClass }).BarcodeDetector;
}

/** The UDI formats this browser's camera scanning reads, or null when it cannot scan with a camera here. */
function useCameraFormats(): string[] | null {
  const [formats, setFormats] = useState<string[] | null>(null);
  useEffect(() => {
    const Detector = detectorClass();
    const devices = navigator.mediaDevices;  // absent outside a secure context (https or localhost)
    if (!Detector || !devices?.getUserMedia || !devices.enumerateDevices) return;
    let live = true;
    Promise.all([Detector.getSupportedFormats(), devices.enumerateDevices()]).then(([supported, found]) => {
      const usable = UDI_FORMATS.filter((f) => supported.includes(f));
      if (live && usable.length > 0 && found.some((d) => d.kind === "videoinput")) setFormats(usable);
    }).catch(() => undefined);
    return () => { live = false; };
  }, []);
  return formats;
}

/** The back camera, looked at until one code is read (one unit per press: identical units have identical codes). */
function CameraScanner({ formats, onCode, onClose }: { formats: string[]; onCode: (code: string) => void; onClose: () => void }) {
  const t = useT();
  const video = useRef<HTMLVideoElement>(null);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    const Detector = detectorClass()!;
    const detector = new Detector({ formats });
    let stream: MediaStream | null = null;
    let stopped = false;
    let timer = 0;
    const look = async () => {
      if (stopped || !video.current) return;
      try {
        const code = (await detector.detect(video.current)).find((b) => b.rawValue)?.rawValue;
        if (code && !stopped) { stopped = true; onCode(code); return; }
      } catch { /* no frame yet */ }
      timer = window.setTimeout(look, 150);
    };
    navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false }).then((s) => {
      stream = s;
      if (stopped || !video.current) { s.getTracks().forEach((track) => track.stop()); return; }
      video.current.srcObject = s;
      video.current.play().catch(() => undefined);
      look();
    }).catch((e: unknown) => setFailure(e instanceof Error ? `${e.name}: ${e.message}` : String(e)));
    return () => { stopped = true; window.clearTimeout(timer); stream?.getTracks().forEach((track) => track.stop()); };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return (
    <Modal open title={t("cameraScan")} onCancel={onClose} footer={<Button onClick={onClose}>{t("cancel")}</Button>} destroyOnHidden>
      {failure
        ? <Alert type="error" showIcon title={t("cameraUnavailable")} description={failure} />
        : <>
          <video ref={video} muted playsInline aria-label={t("cameraView")} data-testid="camera-view"
            style={{ width: "100%", maxHeight: "60vh", background: "#000", borderRadius: 4 }} />
          <div style={{ marginTop: 8 }}>{t("cameraHint")}</div>
        </>}
    </Modal>
  );
}

export function ScanInput({ onScan, disabled }: { onScan: (parsed: ParsedUdi, raw: string) => void; disabled?: boolean }) {
  const t = useT();
  const input = useRef<InputRef>(null);
  const [value, setValue] = useState("");
  const [error, setError] = useState<unknown>();
  const [camera, setCamera] = useState(false);
  const formats = useCameraFormats();
  useEffect(() => { input.current?.focus(); }, []);
  const parse = async (raw: string) => {
    if (!raw.trim()) return;
    setError(undefined);
    try {
      onScan(await api<ParsedUdi>("inventory/udi/parse", { body: { code: raw } }), raw);
    } catch (e) { setError(e); }
  };
  const typed = async () => {
    const raw = value;
    setValue("");
    await parse(raw);
    input.current?.focus();
  };
  return (
    <div>
      <label htmlFor="scan" style={{ display: "block", marginBottom: 4 }}>{t("scanHere")}</label>
      <Input id="scan" ref={input} className="scan-input" size="large" value={value} disabled={disabled} autoComplete="off"
        inputMode="none" data-testid="scan" onChange={(e) => setValue(e.target.value)} onPressEnter={typed} />
      {formats && <Button size="large" block icon={<CameraOutlined />} disabled={disabled} style={{ marginTop: 8 }}
        data-testid="camera-scan" onClick={() => setCamera(true)}>{t("cameraScan")}</Button>}
      {camera && formats && <CameraScanner formats={formats} onClose={() => setCamera(false)}
        onCode={(code) => { setCamera(false); parse(code); }} />}
      <div style={{ marginTop: 8 }}><ProblemAlert error={error} /></div>
    </div>
  );
}
