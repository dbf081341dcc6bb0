// Sign in: the identity provider when configured (OIDC code + PKCE), and outside production a development login
// that picks a persona — a role, and for the portal roles the distributor or hospital the user belongs to.
import { Button, Card, Divider, Form, Input, Select, Space, Typography } from "antd";
import { useEffect, useState } from "react";
import { useNavigate, useSearchParams } from "react-router-dom";
import { api } from "../api";
import { ProblemAlert, useLoad } from "../components";
import { useLanguage, useT } from "../i18n";
import { finishOidcLogin, saveSession, type SessionConfig, startOidcLogin } from "../session";

interface Personas { roles: string[]; portal_roles: string[]; distributors: { id: string; name: string }[]; hospitals: { id: string; name: string }[] }

export function LoginPage({ onLogin }: { onLogin: () => void }) {
  const t = useT();
  const { language, setLanguage } = useLanguage();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = params.get("next") || "/";
  const config = useLoad(() => api<SessionConfig>("session/config"), []);
  const personas = useLoad(() => config.data?.dev_login ? api<Personas>("session/personas") : Promise.resolve(null), [config.data]);
  const [error, setError] = useState<unknown>();
  const [form] = Form.useForm();
  const role: string | undefined = Form.useWatch("role", form);
  const organisations = role === "distributor_user" ? personas.data?.distributors : role === "hospital_user" ? personas.data?.hospitals : undefined;

  const login = async (values: { username: string; role: string; organisation?: string }) => {
    setError(undefined);
    const kind = values.role === "distributor_user" ? "distributor" : values.role === "hospital_user" ? "hospital" : null;
    try {
      const answer = await api<{ token: string; expires_at: string }>("session", {
        body: { username: values.username, role: values.role, scopes: kind && values.organisation ? [`${kind}:${values.organisation}`] : [] },
      });
      saveSession(answer.token, answer.expires_at);
      onLogin();
      navigate(next, { replace: true });
    } catch (e) {
      setError(e);
    }
  };

  return (
    <main style={{ minHeight: "100vh", display: "flex", alignItems: "center", justifyContent: "center", background: "#f0f2f5", padding: 12 }}>
      <Card style={{ width: 420, maxWidth: "100%" }}>
        <Space style={{ width: "100%", justifyContent: "space-between" }}>
          <Typography.Title level={1} style={{ fontSize: 22, margin: 0 }}>{t("app")}</Typography.Title>
          <Select aria-label={t("language")} value={language} onChange={setLanguage} style={{ width: 100 }}
            options={[{ value: "zh", label: "中文" }, { value: "en", label: "English" }]} />
        </Space>
        <Divider />
        <ProblemAlert error={config.error ?? error} />
        {config.data?.oidc && <Button type="primary" block onClick={() => startOidcLogin(config.data!.oidc!, next)}>{t("oidcLogin")}</Button>}
        {config.data?.dev_login && <>
          {config.data.oidc && <Divider plain>{t("devLogin")}</Divider>}
          {!config.data.oidc && <Typography.Paragraph type="secondary">{t("devLogin")}</Typography.Paragraph>}
          <Form form={form} layout="vertical" onFinish={login} initialValues={{ username: "alice", role: "order_desk" }}>
            <Form.Item name="username" label={t("username")} rules={[{ required: true }]}><Input autoComplete="username" /></Form.Item>
            <Form.Item name="role" label={t("role")} rules={[{ required: true }]}>
              <Select showSearch options={(personas.data?.roles ?? []).map((r) => ({ value: r, label: r }))} />
            </Form.Item>
            {organisations && <Form.Item name="organisation" label={t("organisation")} rules={[{ required: true }]}>
              <Select showSearch optionFilterProp="label" options={organisations.map((o) => ({ value: o.id, label: o.name }))} />
            </Form.Item>}
            <Button type="primary" htmlType="submit" block>{t("login")}</Button>
          </Form>
        </>}
      </Card>
    </main>
  );
}

export function OidcCallback({ onDone }: { onDone: () => void }) {
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    api<SessionConfig>("session/config")
      .then((config) => finishOidcLogin(config.oidc!))
      .then((next) => { onDone(); navigate(next, { replace: true }); })
      .catch(setError);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return <div style={{ padding: 24 }}><ProblemAlert error={error} /></div>;
}
