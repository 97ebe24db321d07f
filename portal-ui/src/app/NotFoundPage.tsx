import { Link } from "react-router";
import { useT } from "../i18n/I18n";

export default function NotFoundPage() {
  const t = useT();
  return (
    <>
      <h1>{t("app.notFound.title")}</h1>
      <p>{t("app.notFound.body")}</p>
      <p>
        <Link to="/">{t("app.notFound.home")}</Link>
      </p>
    </>
  );
}
