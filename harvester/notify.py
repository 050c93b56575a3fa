"""Telling operators about new health events: an HTTP webhook (POST of JSON) and/or email.

Where to send them is a :class:`harvester.config.NotifyConfig` (``HARVESTER_WEBHOOK_URL``,
``HARVESTER_SMTP_*``). The webhook receives ``{"source": "xxgk-harvester", "events": [...]}``.

Each open event is sent once (``notified_at``); an event is marked sent only when every
configured channel accepted it, so a failed delivery is tried again after the next harvest.
"""
from __future__ import annotations

import json
import smtplib
import urllib.error
import urllib.request
from email.message import EmailMessage

from sqlalchemy import select

from harvester.config import NotifyConfig
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


class Notifier:
    def __init__(self, config: NotifyConfig, timeout: float = 10.0):
        self.config = config
        self.timeout = timeout

    @property
    def email_enabled(self) -> bool:
        c = self.config
        return bool(c.smtp_host and c.smtp_from and c.smtp_to)

    @property
    def enabled(self) -> bool:
        return bool(self.config.webhook_url) or self.email_enabled

    def post_webhook(self, events: list[dict]) -> None:
        body = json.dumps({"source": "xxgk-harvester", "events": events}, ensure_ascii=False).encode("utf-8")
        req = urllib.request.Request(
            self.config.webhook_url, data=body, method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "xxgk-harvester"},
        )
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            if resp.status >= 300:
                raise OSError(f"webhook answered HTTP {resp.status}")

    def send_email(self, events: list[dict]) -> None:
        msg = EmailMessage()
        msg["Subject"] = f"[xxgk-harvester] {len(events)} 个健康事件 / health event(s)"
        c = self.config
        msg["From"] = c.smtp_from
        msg["To"] = ", ".join(c.smtp_to)
        lines = [f"{e['portal']}: {e['label']} ({e['kind']}) — {e['detail']}" + (f"\n  {e['url']}" if e["url"] else "") for e in events]
        # base64: Chinese text arrives intact through relays that only take 7-bit mail
        msg.set_content("\n".join(lines) + "\n\n" + json.dumps(events, ensure_ascii=False, indent=1), charset="utf-8", cte="base64")
        with smtplib.SMTP(c.smtp_host, c.smtp_port, timeout=self.timeout) as smtp:
            if c.smtp_starttls:
                smtp.starttls()
            if c.smtp_user:
                smtp.login(c.smtp_user, c.smtp_password or "")
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
            for name, enabled, send in (("webhook", bool(self.config.webhook_url), self.post_webhook), ("email", self.email_enabled, self.send_email)):
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
