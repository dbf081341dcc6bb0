// The session: a bearer token in sessionStorage (gone when the tab closes), from the development login or the
// identity provider (OIDC authorization code with PKCE: no client secret in a browser).

const TOKEN = "erp.token";
const EXPIRES = "erp.expires_at";

export interface Me {
  subject: string; name: string; roles: string[]; scopes: string[]; permissions: string[];
}

export interface SessionConfig {
  dev_login: boolean;
  oidc: { issuer: string; client_id: string } | null;
}

export function token(): string | null {
  const expires = sessionStorage.getItem(EXPIRES);
  if (expires && Date.parse(expires) < Date.now()) {
    clearSession();
    return null;
  }
  return sessionStorage.getItem(TOKEN);
}

export function saveSession(bearer: string, expiresAt: string): void {
  sessionStorage.setItem(TOKEN, bearer);
  sessionStorage.setItem(EXPIRES, expiresAt);
}

export function clearSession(): void {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(EXPIRES);
}

export function can(me: Me | null, permission: string): boolean {
  return !!me && me.permissions.includes(permission);
}

/** The organisation a portal user belongs to (from its scope), if any. */
export function scopeOf(me: Me | null, kind: "distributor" | "hospital"): string | null {
  const scope = me?.scopes.find((s) => s.startsWith(`${kind}:`));
  return scope ? scope.slice(kind.length + 1) : null;
}

export function isPortal(me: Me | null): "distributor" | "hospital" | null {
  if (me?.roles.includes("distributor_user")) return "distributor";
  if (me?.roles.includes("hospital_user")) return "hospital";
  return null;
}

// --- OIDC authorization code + PKCE -------------------------------------------------------------------------

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function discovery(issuer: string): Promise<{ authorization_endpoint: string; token_endpoint: string }> {
  const response = await fetch(`${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`the identity provider ${issuer} does not answer`);
  return response.json();
}

function redirectUri(): string {
  return `${window.location.origin}/auth/callback`;
}

export async function startOidcLogin(config: NonNullable<SessionConfig["oidc"]>, next: string): Promise<void> {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem("erp.pkce", JSON.stringify({ verifier, state, next }));
  const { authorization_endpoint } = await discovery(config.issuer);
  const params = new URLSearchParams({
    response_type: "code", client_id: config.client_id, redirect_uri: redirectUri(), scope: "openid profile",
    code_challenge: challenge, code_challenge_method: "S256", state,
  });
  window.location.assign(`${authorization_endpoint}?${params}`);
}

/** Back from the provider with ?code&state: the code exchanged for tokens; where to go next. */
export async function finishOidcLogin(config: NonNullable<SessionConfig["oidc"]>): Promise<string> {
  const params = new URLSearchParams(window.location.search);
  const saved = JSON.parse(sessionStorage.getItem("erp.pkce") ?? "{}");
  sessionStorage.removeItem("erp.pkce");
  if (!params.get("code") || params.get("state") !== saved.state) throw new Error("the sign-in answer does not match");
  const { token_endpoint } = await discovery(config.issuer);
  const response = await fetch(token_endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code", code: params.get("code")!, redirect_uri: redirectUri(),
      client_id: config.client_id, code_verifier: saved.verifier,
    }),
  });
  if (!response.ok) throw new Error(`the identity provider refused the sign-in (${response.status})`);
  const answer = await response.json();
  saveSession(answer.access_token, new Date(Date.now() + answer.expires_in * 1000).toISOString());
  return saved.next || "/";
}
