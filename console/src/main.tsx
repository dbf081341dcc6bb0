import { App as AntApp, ConfigProvider } from "antd";
import enUS from "antd/locale/en_US";
import zhCN from "antd/locale/zh_CN";
import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router-dom";
import { App } from "./App";
import { dayjs } from "./format";
import { type Language, LanguageContext } from "./i18n";
import "./styles.css";

// Ant Design's defaults with every text colour at 4.5:1 or more on white (WCAG AA): its lighter greys and its
// default blue do not reach it, and axe-core (tests/browser) counts that as a serious violation.
const THEME = {
  colorPrimary: "#0958d9", colorPrimaryHover: "#003eb3", colorPrimaryActive: "#002c8c", colorLink: "#0958d9",
  colorLinkHover: "#003eb3", colorError: "#cf1322", colorErrorHover: "#a8071a", colorErrorActive: "#820014",
  colorWarning: "#ad6800", colorSuccess: "#237804", colorTextSecondary: "rgba(0, 0, 0, 0.68)",
  colorTextTertiary: "rgba(0, 0, 0, 0.62)", colorTextDescription: "rgba(0, 0, 0, 0.62)", colorTextPlaceholder: "#707070",
};

function Root() {
  const [language, setLanguageState] = useState<Language>((localStorage.getItem("erp.language") as Language) ?? "zh");
  const setLanguage = (next: Language) => {
    localStorage.setItem("erp.language", next);
    document.documentElement.lang = next === "zh" ? "zh-CN" : "en";
    setLanguageState(next);
  };
  dayjs.locale(language === "zh" ? "zh-cn" : "en");
  document.documentElement.lang = language === "zh" ? "zh-CN" : "en";
  return (
    <LanguageContext.Provider value={{ language, setLanguage }}>
      <ConfigProvider locale={language === "zh" ? zhCN : enUS} theme={{ token: THEME }} button={{ autoInsertSpace: false }}>
        <AntApp>
          <BrowserRouter>
            <App />
          </BrowserRouter>
        </AntApp>
      </ConfigProvider>
    </LanguageContext.Provider>
  );
}

createRoot(document.getElementById("root")!).render(<StrictMode><Root /></StrictMode>);
