"""The human-readable field map: what each document posts, in tables a finance team reads."""

from __future__ import annotations

from collections.abc import Iterable

from ledgerbridge.ledger import Account
from ledgerbridge.mapping._posting import LABELS, PostingRules
from ledgerbridge.mapping._schema import ROLES, TargetConfig

__all__ = ["render_docs"]

# (side, role or special target, what it receives) per document type.
_POSTINGS: dict[str, list[tuple[str, str, str]]] = {
    "invoice": [
        ("Debit", "receivable", "invoice total, per customer, with the due date"),
        ("Credit", "revenue", "each line amount (a line's account hint wins)"),
        ("Debit", "discounts", "line discounts (when discounts are separate)"),
        ("Credit", "@tax", "tax, one line per jurisdiction and tax code"),
    ],
    "credit_note": [
        ("Credit", "receivable", "credit note total, per customer"),
        ("Debit", "revenue", "each line amount (a line's account hint wins)"),
        ("Credit", "discounts", "line discounts (when discounts are separate)"),
        ("Debit", "@tax", "tax, one line per jurisdiction and tax code"),
    ],
    "bill": [
        ("Debit", "expense", "each line net of discount (a line's account hint wins)"),
        ("Debit", "recoverable_tax", "tax, when recoverable; else part of the expense lines"),
        ("Credit", "payable", "bill total, per vendor, with the due date"),
    ],
    "expense": [
        ("Debit", "expense", "each line net of discount (a line's account hint wins)"),
        ("Debit", "recoverable_tax", "tax, when recoverable; else part of the expense lines"),
        ("Credit", "@expense_method", "total: paid_with hint, else by payment method"),
        ("Credit", "reimbursements", "total, per employee, when reimbursable"),
    ],
    "payment": [
        ("Debit", "@payment_method", "amount less processor fee (clearing when a processor "
         "carried it; deposit_account hint wins)"),
        ("Debit", "processing_fees", "processor fee"),
        ("Credit", "receivable", "each amount applied to an invoice, per the invoice's "
         "customer (sent payments: debit payable per bill)"),
        ("Credit", "customer_deposits", "unapplied remainder (sent: vendor_prepayments)"),
        ("Debit/Credit", "fx_gain_loss", "exchange difference against the invoice's rate"),
    ],
    "refund": [
        ("Debit", "refunds", "amount refunded (receivable when it settles a credit note)"),
        ("Debit", "processing_fees", "fee on the refund (a negative fee is returned)"),
        ("Credit", "@payment_method", "amount plus fee, from the account the payment used"),
    ],
    "fee": [
        ("Debit", "processing_fees", "the fee (an account hint wins)"),
        ("Credit", "clearing", "the fee (bank when no processor charged it)"),
    ],
    "dispute": [
        ("Debit", "dispute_losses", "disputed amount while open or lost, and the dispute fee"),
        ("Credit", "clearing", "the same; a won dispute keeps only the fee"),
    ],
    "payout": [
        ("Debit", "transit", "net payout, an open item of the processor that the bank "
         "deposit is matched to (failed and canceled payouts post nothing)"),
        ("Credit", "clearing", "net payout"),
    ],
    "order": [
        ("Debit", "clearing", "total less gift cards when paid (receivable when unpaid)"),
        ("Debit", "gift_cards", "gift cards redeemed"),
        ("Credit", "revenue", "each line amount (a line's account hint wins)"),
        ("Credit", "shipping", "shipping charged"),
        ("Debit", "discounts", "line and shipping discounts (when separate)"),
        ("Credit", "@tax", "tax on lines and shipping, one line per jurisdiction and tax code"),
    ],
    "payroll_run": [
        ("Debit", "wages", "gross wages per department (alias \"Wages: <department>\")"),
        ("Debit", "employer_contributions", "employer benefit contributions per department "
         "(alias \"Benefits: <department>\")"),
        ("Debit", "payroll_taxes", "employer taxes per department "
         "(alias \"Employer taxes: <department>\")"),
        ("Credit", "payroll_liabilities", "each tax by name (withholding and employer share; "
         "an alias of the tax's name wins), other deductions"),
        ("Credit", "benefits_payable", "each benefit's deduction and contribution, an open "
         "item of the benefit"),
        ("Credit", "payroll_liabilities", "net pay, an open item of the payroll tool when it "
         "pays (bank when the run is paid directly)"),
    ],
    "payroll_remittance": [
        ("Debit", "payroll_liabilities", "each liability paid, by the name the run gave it"),
        ("Credit", "bank", "the total (a paid_from hint wins)"),
    ],
    "payroll_accrual": [
        ("Debit", "wages", "a month's share of a run's expense, per kind and department "
         "(negative: deferred)"),
        ("Credit", "accrued_payroll", "the same total; reversed the next day"),
    ],
}
_NOTHING = {
    "bank_transaction": "matched to open items by reconciliation, never posted",
    "deal": "a won deal becomes an invoice; the deal itself posts nothing",
    "contact": "master data",
    "item": "master data",
    "tax_rate": "master data",
}


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _account(code: str | None, names: dict[str, str]) -> str:
    if code is None:
        return "(not set)"
    return f"{code} {names[code]}" if code in names else code


def render_docs(rules: PostingRules, chart: Iterable[Account] = ()) -> str:
    """The mapping as Markdown: posting tables, tax, methods, field maps, masters."""
    config = rules.config
    names = {a.code: a.name for a in chart} or (
        {c: a.name for c, a in rules.chart.items()} if rules.chart else {}
    )
    out = ["# Field map and posting rules", ""]
    out += [
        "Amounts post in the document's currency with its exchange rate; a document in a "
        "foreign currency without a rate is refused. Each new version of a document "
        "reverses the entry of the previous one.",
        f"Line discounts: **{config.discounts}**.",
        "",
        "## Accounts by role",
        "",
        "| Role | Account | Receives |",
        "| --- | --- | --- |",
    ]
    for role, what in ROLES.items():
        out.append(f"| {role} | {_cell(_account(config.accounts.get(role), names))} "
                   f"| {_cell(what)} |")
    out += ["", "## Posting rules by document type", ""]
    for kind, rows in _POSTINGS.items():
        accounts = config.effective_accounts([
            i for i, rule in enumerate(config.rules)
            if set(rule.when) == {"type"} and rule.when["type"] == kind
        ])
        out += [f"### {LABELS[kind]} (`{kind}`)", "", "| Side | Account | Amount |",
                "| --- | --- | --- |"]
        for side, role, what in rows:
            if role == "@tax":
                account = "by jurisdiction (see Tax)"
            elif role == "@payment_method":
                account = "by payment method (see Payment methods)"
            elif role == "@expense_method":
                account = "by payment method (see Payment methods)"
            else:
                account = _account(accounts.get(role), names)
            out.append(f"| {side} | {_cell(account)} | {_cell(what)} |")
        out += _field_table(rules, kind)
        out.append("")
    out += ["### Posting nothing", "", "| Document | Why |", "| --- | --- |"]
    out += [f"| `{kind}` | {_cell(why)} |" for kind, why in _NOTHING.items()]
    out += ["", "## Conditional rules", "",
            "Every matching rule changes the accounts of its roles; later rules win, and "
            "the connection's own accounts and rules win over the built-in ones.", "",
            "| # | Name | When | Accounts |", "| --- | --- | --- | --- |"]
    for i, rule in enumerate(config.rules):
        when = ", ".join(f"{k} = {v}" for k, v in rule.when.items()) or "always"
        accounts_text = ", ".join(f"{r} -> {_account(c, names)}" for r, c in rule.accounts.items())
        out.append(f"| {config.rule_label(i)} | {_cell(rule.name or '')} | {_cell(when)} "
                   f"| {_cell(accounts_text)} |")
    out += ["", "## Tax", "", "| Jurisdiction | Account |", "| --- | --- |"]
    for name, code in config.tax.jurisdictions.items():
        out.append(f"| {_cell(name)} | {_cell(_account(code, names))} |")
    other = (_account(config.accounts.get("sales_tax"), names) if not config.tax.jurisdictions
             else "none: the exceptions queue")
    out.append(f"| any other | {_cell(other)} |")
    out += ["", "The longest matching prefix wins: US-CA-SF uses US-CA-SF, else US-CA, else US. "
            "When jurisdictions are listed, a document whose jurisdiction matches none of them "
            "stops in the exceptions queue naming it (nothing is guessed); when none are "
            "listed, all tax goes to sales_tax. Tax lines, and the lines the tax was charged on, "
            "carry the tax code (GB-20, EXEMPT ...; see docs/ledger.md).",
            "", "## Payment methods", "", "| Used for | Method | Account |", "| --- | --- | --- |"]
    for used, table in (("payments and refunds", config.methods.payment),
                        ("expenses", config.methods.expense)):
        for method, target in table.items():
            code = config.accounts.get(target) if target in ROLES else target
            label = f"{target}: {_account(code, names)}" if target in ROLES else _account(
                code, names)
            out.append(f"| {used} | {method} | {_cell(label)} |")
    out += ["", "## Source of truth", "", "| Data | Field | Master |", "| --- | --- | --- |"]
    for kind, truth in config.source_of_truth.items():
        out.append(f"| {kind} | (all fields) | {truth.default or 'latest change'} |")
        out += [f"| {kind} | {f} | {m} |" for f, m in truth.fields.items()]
    deals = config.deals
    out += ["", "## Won deals", "",
            (f"A won deal becomes invoice {deals.number_prefix}<deal id>, due "
             f"{deals.payment_terms_days} days after closing unless the deal carries terms"
             + (f", with {deals.tax_percent} % tax for {deals.tax_jurisdiction} on lines "
                "without tax" if deals.tax_percent is not None else "")
             + "." if deals.invoice else "Won deals are not invoiced."),
            f"Changed after invoicing: **{deals.on_change}**; re-opened or lost after "
            f"invoicing: **{deals.on_reopen}**."]
    out += _targets_section(config.targets, names)
    if config.writeback:
        out += ["", "## Write-back", "", "| When | Connection | Command |", "| --- | --- | --- |"]
        out += [f"| {w.on} | {w.connection} | {w.command} |" for w in config.writeback]
    return "\n".join(out) + "\n"


def _targets_section(targets: dict[str, TargetConfig], names: dict[str, str]) -> list[str]:
    """The ``targets:`` section: how each accounting package receives the ledger."""
    out = ["", "## Push targets", "",
           "Processor activity (whatever posts to the clearing account) is pushed to each "
           "accounting package connection listed here: `detail` one journal per entry, "
           "`daily` one per day, `payout` one per processor payout, totals per account "
           "through the account map. The ledger keeps every entry; switching modes pushes "
           "nothing twice (`ledgerbridge targets push CONNECTION`)."]
    if not targets:
        return [*out, "", "No targets: nothing is pushed."]
    for name, target in targets.items():
        out += ["", f"### {_cell(name)}: {target.summary}", "",
                "| Our account | Their account |", "| --- | --- |"]
        out += [f"| {_cell(_account(code, names))} | {_cell(theirs)} |"
                for code, theirs in target.accounts.items()]
        if target.tax_codes:
            out += ["", "| Our tax code | Their tax code |", "| --- | --- |"]
            out += [f"| {_cell(ours)} | {_cell(theirs)} |"
                    for ours, theirs in target.tax_codes.items()]
    return out


def _field_table(rules: PostingRules, kind: str) -> list[str]:
    fields = rules.config.field_map(kind)
    if not fields:
        return []
    out = ["", "Field map:", "", "| Canonical field | Source | Transform |",
           "| --- | --- | --- |"]
    for target, spec in fields.items():
        source = spec.from_ or f"constant {spec.value!r}"
        steps = ", ".join(s if isinstance(s, str) else next(f"{k} {v}" for k, v in s.items())
                          for s in spec.transform)
        if spec.default is not None:
            steps = f"{steps}; default {spec.default!r}".lstrip("; ")
        out.append(f"| {target} | `{_cell(source)}` | {_cell(steps)} |")
    return out
