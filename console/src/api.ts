// Every call to the services goes through the gateway's /api/<service>/…, with the session's bearer token.
// Errors are RFC 9457 problem+json: thrown as ApiError so that pages show title, detail and each field's message.
import { clearSession, token } from "./session";

export interface FieldError { field: string; rule?: string; message: string; in?: string }
export interface Problem {
  type?: string; title: string; status: number; detail?: string; errors?: FieldError[];
  rule?: string; [extension: string]: unknown;
}
export interface Page<T> { items: T[]; total: number; limit: number; offset: number }

export class ApiError extends Error {
  constructor(public problem: Problem) {
    super(problem.detail ?? problem.title);
  }
  get status(): number { return this.problem.status; }
}

type Query = Record<string, string | number | boolean | null | undefined | string[]>;

export function queryString(query?: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === null || value === undefined || value === "") continue;
    for (const one of Array.isArray(value) ? value : [value]) params.append(key, String(one));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

function headers(extra?: Record<string, string>): Record<string, string> {
  const bearer = token();
  return { Accept: "application/json", ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}), ...extra };
}

async function problemOf(response: Response): Promise<Problem> {
  const type = response.headers.get("content-type") ?? "";
  if (type.includes("json")) {
    const body = await response.json();
    if (body && typeof body === "object" && "title" in body) return body as Problem;
    return { title: response.statusText, status: response.status, detail: JSON.stringify(body) };
  }
  return { title: response.statusText || "Error", status: response.status, detail: await response.text() };
}

function unauthorized(): void {
  // The token expired or was refused: back to the login page, remembering where the user was.
  clearSession();
  const back = encodeURIComponent(window.location.pathname + window.location.search);
  window.location.assign(`/login?next=${back}`);
}

async function checked(response: Response): Promise<Response> {
  if (response.status === 401) {
    unauthorized();
    throw new ApiError(await problemOf(response));
  }
  if (!response.ok) throw new ApiError(await problemOf(response));
  return response;
}

export interface CallOptions {
  method?: string;
  query?: Query;
  body?: unknown;
  idempotencyKey?: string;
  reason?: string;
}

/** GET/POST/PUT a JSON API of a service: `api("order/orders", …)` is the order service's /orders. */
export async function api<T>(path: string, options: CallOptions = {}): Promise<T> {
  const extra: Record<string, string> = {};
  if (options.body !== undefined) extra["Content-Type"] = "application/json";
  if (options.idempotencyKey) extra["Idempotency-Key"] = options.idempotencyKey;
  // Percent-encoded: a header carries Latin-1 only, and reasons are Chinese more often than not (the services unquote it).
  if (options.reason) extra["X-Reason"] = encodeURIComponent(options.reason);
  const response = await checked(await fetch(`/api/${path}${queryString(options.query)}`, {
    method: options.method ?? (options.body === undefined ? "GET" : "POST"),
    headers: headers(extra),
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  }));
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export function newKey(): string {
  return crypto.randomUUID();
}

/** A document (PDF, xlsx, csv) saved by the browser; `progress` gets the share received (0-1, or -1 if unknown). */
export async function download(path: string, query: Query, fallbackName: string,
                               progress?: (share: number) => void): Promise<string> {
  const response = await checked(await fetch(`/api/${path}${queryString(query)}`, { headers: headers({ Accept: "*/*" }) }));
  const total = Number(response.headers.get("content-length") ?? 0);
  const reader = response.body!.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    progress?.(total ? received / total : -1);
  }
  const disposition = response.headers.get("content-disposition") ?? "";
  // RFC 6266: filename* (UTF-8, for Chinese names) wins over the plain filename.
  const name = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1] ?? /filename="?([^";]+)"?/i.exec(disposition)?.[1] ?? fallbackName;
  const blob = new Blob(chunks as BlobPart[], { type: response.headers.get("content-type") ?? "application/octet-stream" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = decodeURIComponent(name);
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  progress?.(1);
  return link.download;
}

/** A multipart upload with progress (fetch cannot report upload progress; XMLHttpRequest can). */
export function upload<T>(path: string, form: FormData, progress?: (share: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", `/api/${path}`);
    for (const [name, value] of Object.entries(headers())) request.setRequestHeader(name, value);
    request.upload.onprogress = (event) => progress?.(event.lengthComputable ? event.loaded / event.total : -1);
    request.onerror = () => reject(new ApiError({ title: "Network error", status: 0, detail: "the upload failed" }));
    request.onload = () => {
      const body = request.responseText ? JSON.parse(request.responseText) : undefined;
      if (request.status === 401) unauthorized();
      if (request.status >= 200 && request.status < 300) resolve(body as T);
      else reject(new ApiError(body?.title ? body : { title: request.statusText, status: request.status }));
    };
    request.send(form);
  });
}
