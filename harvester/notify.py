"""Telling operators about new health events: an HTTP webhook (POST of JSON) and/or email.

Configured from the environment (both optional):

- ``HARVESTER_WEBHOOK_URL``: POSTs ``{"source": "xxgk-harvester", "events": [...]}``.
- ``HARVESTER_SMTP_HOST`` (``host`` or ``host:port``), ``HARVESTER_SMTP_FROM``,
  ``HARVESTER_SMTP_TO`` (comma-separated), optional ``HARVESTER_SMTP_USER`` /
  ``HARVESTER_SMTP_PASSWORD`` / ``HARVESTER_SMTP_STARTTLS=1``.

Each open event is sent once (``notified_at``); an event is marked sent only when every
configured channel accepted it, so a failed delivery is tried again after the next harvest.
"""
from __future__ import annotations

import json
import os
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage

from sqlalchemy import select

from storage.database import Database
from storage.models import HealthEvent, utcnow

KIND_LABELS = {
    "no_reports": "未发现年报",
    "column_moved": "年报栏目迁移",
    "blocked": "网站拦截采集",
    "error_rate": "错误率过高",
    "parse_failures": "解析失败激增",
    "crashed": "采集进程崩溃",
    "trap": "采集陷阱（无尽翻页）",
}


def event_json(ev: HealthEvent) -> dict:
    return {
        "id": ev.id,
        "portal": ev.portal_id,
        "kind": ev.kind,
        "label": KIND_LABELS.get(ev.kind, ev.kind),
        "status": ev.status,
        "opened_at": ev.opened_at.isoformat(timespec="seconds"),
        "last_seen_at": ev.last_seen_at.isoformat(timespec="seconds"),
        "run_id": ev.run_id,
        "url": ev.url,
        "detail": ev.detail,
        "data": ev.data,
    }


@dataclass
class Notifier:
    webhook_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str | None = None
    smtp_to: list[str] = field(default_factory=list)
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    timeout: float = 10.0

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Notifier":
        env = os.environ if env is None else env
        host = env.get("HARVESTER_SMTP_HOST") or None
        port = 25
        if host and ":" in host:
            host, p = host.rsplit(":", 1)
            port = int(p)
        return cls(
            webhook_url=env.get("HARVESTER_WEBHOOK_URL") or None,
            smtp_host=host,
            smtp_port=port,
            smtp_from=env.get("HARVESTER_SMTP_FROM") or None,
            smtp_to=[a.strip() for a in (env.get("HARVESTER_SMTP_TO") or "").split(",") if a.strip()],
            smtp_user=env.get("HARVESTER_SMTP_USER") or None,
            smtp_password=env.get("HARVESTER_SMTP_PASSWORD") or None,
            smtp_starttls=env.get("HARVESTER_SMTP_STARTTLS") == "1",
        )

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host and self.smtp_from and self.smtp_to)

    @property
    def enabled(self) -> bool:
        return bool(self.webhook_url) or self.email_enabled

    def post_webhook(self, events: list[dict]) -> None:
        body = json.dumps({"source": "xxgk-harvester", "events": events}, ensure_ascii=False).encode("utf-8")
        req = urllib.request.Request(
            self.webhook_url, data=body, method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "xxgk-harvester"},
        )
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            if resp.status >= 300:
                raise OSError(f"webhook answered HTTP {resp.status}")

    def send_email(self, events: list[dict]) -> None:
        msg = EmailMessage()
        msg["Subject"] = f"[xxgk-harvester] {len(events)} 个健康事件 / health event(s)"
        msg["From"] = self.smtp_from
        msg["To"] = ", ".join(self.smtp_to)
        lines = [f"{e['portal']}: {e['label']} ({e['kind']}) — {e['detail']}" + (f"\n  {e['url']}" if e["url"] else "") for e in events]
        # base64: Chinese text arrives intact through relays that only take 7-bit mail
        msg.set_content("\n".join(lines) + "\n\n" + json.dumps(events, ensure_ascii=False, indent=1), charset="utf-8", cte="base64")
        with smtplib.SMTP(self.smtp_host, self.smtp_port, timeout=self.timeout) as smtp:
            if self.smtp_starttls:
                smtp.starttls()
            if self.smtp_user:
                smtp.login(self.smtp_user, self.smtp_password or "")
            smtp.send_message(msg)

    def send_new_events(self, db: Database) -> list[str]:
        """Send the open events not yet sent; return one line per channel saying what happened."""
        if not self.enabled:
            return []
        with db.session() as s:
            pending = list(s.scalars(select(HealthEvent).where(HealthEvent.status == "open", HealthEvent.notified_at.is_(None)).order_by(HealthEvent.id)))
            if not pending:
                return []
            events = [event_json(e) for e in pending]
            report, delivered = [], True
            for name, enabled, send in (("webhook", bool(self.webhook_url), self.post_webhook), ("email", self.email_enabled, self.send_email)):
                if not enabled:
                    continue
                try:
                    send(events)
                    report.append(f"notify: {len(events)} health event(s) sent by {name}")
                except (OSError, smtplib.SMTPException, urllib.error.URLError) as exc:
                    delivered = False
                    report.append(f"notify: {name} delivery failed ({exc}); will retry after the next harvest")
            if delivered:
                now = utcnow()
                for e in pending:
                    e.notified_at = now
            return report
