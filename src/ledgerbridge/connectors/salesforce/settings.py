"""What a Salesforce connection is configured with."""

from __future__ import annotations

from typing import Annotated

from pydantic import AnyHttpUrl, Field, SecretStr

from ledgerbridge.connectors.base import Settings

__all__ = ["FieldName", "FieldPath", "SalesforceSettings"]

FieldName = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")]
"""A field of the opportunity itself: write-backs never reach related records."""

FieldPath = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)?$")]
"""A field to read, on the record or one relationship away (``Product2.Family``)."""


class SalesforceSettings(Settings):
    """One org: OAuth client, API version, currency and the fields read and written.

    Attributes:
        login_url: where tokens come from (the org's My Domain URL for client
            credentials); API calls go to the ``instance_url`` the token names.
        refresh_token: with one, tokens come from the refresh-token flow; without,
            from the client-credentials flow.
        org_currency: the org's currency, used unless ``multi_currency`` is on (then
            each record's ``CurrencyIsoCode``).
        batch_size: records per query batch (Salesforce allows 200 to 2000).
        lookback_seconds: how far behind the cursor each poll starts again.
        payment_terms_field: an opportunity field holding terms ("Net 30" or 30).
        pipeline_field: a field naming the pipeline, such as ``RecordType.Name``.
        line_account_field: a line-item field holding the income account hint.
        status_field, number_field, amount_due_field, paid_date_field: opportunity
            fields the invoice status is written to (None: not written).
        status_values: the picklist value written for each invoice status.

    """

    login_url: AnyHttpUrl = AnyHttpUrl("https://login.salesforce.com")
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    refresh_token: SecretStr | None = None
    api_version: str = Field(default="60.0", pattern=r"^\d+\.\d$")
    org_currency: str = Field(pattern=r"^[A-Z]{3}$")
    multi_currency: bool = False
    batch_size: int = Field(default=2000, ge=1, le=2000)
    lookback_seconds: int = Field(default=300, ge=0)
    timeout_seconds: float = 30.0
    payment_terms_field: FieldPath | None = None
    pipeline_field: FieldPath | None = None
    line_account_field: FieldPath | None = None
    status_field: FieldName | None = "Invoice_Status__c"
    number_field: FieldName | None = "Invoice_Number__c"
    amount_due_field: FieldName | None = "Amount_Due__c"
    paid_date_field: FieldName | None = "Paid_Date__c"
    status_values: dict[str, str] = Field(default_factory=lambda: {
        "open": "Invoiced", "partially_paid": "Partially paid", "paid": "Paid"})
