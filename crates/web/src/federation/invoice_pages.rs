//! The page of invoices with members of linked districts (`/federation/invoices`): a member
//! invoices a member of another district, sees the invoices they sent and received, accepts,
//! disputes and pays the ones they owe, and cancels the ones they sent.

use super::invoices::{self, IssueInput, Step};
use super::pages::{Choice, account_choices, district_choices};
use crate::auth::Viewer;
use crate::directory::pages::parse_id;
use crate::i18n::Lang;
use crate::pages::{Chrome, PageForm, render_status};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use distretto_domain::ledger::Currency;
use distretto_domain::ledger::invoice::{InvoiceAction, InvoiceSide, InvoiceStatus, transition};
use distretto_store::federation::LinkRow;
use distretto_store::federation::invoices::FederationInvoiceRow;
use uuid::Uuid;

/// Invoices listed on the page.
const SHOWN: i64 = 100;

pub(super) fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/federation/invoices", get(page).post(issue_submit))
        .route("/federation/invoices/{id}/{action}", post(act_submit))
}

/// What the issue form holds (kept when the invoice is refused).
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct IssueForm {
    link: String,
    from: String,
    debtor: String,
    amount: String,
    description: String,
    due_on: String,
}

/// What an action's form holds: a reason to dispute, an amount to pay and its key.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct ActForm {
    reason: String,
    amount: String,
    key: String,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct PageQuery {
    /// The invoice just issued or changed.
    done: String,
}

struct Line {
    id: Uuid,
    when: String,
    sent: bool,
    other: String,
    district: String,
    amount: String,
    remaining: String,
    /// The remaining amount as the pay form's default (one to one currencies only).
    remaining_input: String,
    due: String,
    overdue: bool,
    status: &'static str,
    /// Still being sent to the debtor's district.
    sending: bool,
    can_accept: bool,
    can_dispute: bool,
    can_pay: bool,
    can_cancel: bool,
    /// An idempotency key for its pay form.
    key: String,
    highlight: bool,
}

#[derive(Template)]
#[template(path = "federation_invoices.html")]
struct InvoicesPage {
    c: Chrome,
    notice: bool,
    error: Option<AppError>,
    districts: Vec<Choice>,
    accounts: Vec<Choice>,
    form: IssueForm,
    lines: Vec<Line>,
}

const fn status_id(s: InvoiceStatus) -> &'static str {
    match s {
        InvoiceStatus::Issued => "invoice_status_issued",
        InvoiceStatus::Accepted => "invoice_status_accepted",
        InvoiceStatus::Disputed => "invoice_status_disputed",
        InvoiceStatus::Paid => "invoice_status_paid",
        InvoiceStatus::Cancelled => "invoice_status_cancelled",
    }
}

/// An amount in the invoice's currency: ours as configured, another district's shown with its
/// code and our decimals.
fn amount_of(state: &AppState, lang: Lang, code: &str, minor: i64) -> String {
    let ours = &state.config.currency;
    if code == ours.code {
        return crate::ledger::pages::money(lang, ours, minor);
    }
    let theirs = Currency {
        code: code.to_owned(),
        name: code.to_owned(),
        symbol: code.to_owned(),
        scale: ours.scale,
    };
    crate::ledger::pages::money(lang, &theirs, minor)
}

fn allows(row: &FederationInvoiceRow, side: InvoiceSide, action: InvoiceAction) -> bool {
    let ours = if row.side == "debtor" {
        InvoiceSide::Debtor
    } else {
        InvoiceSide::Creditor
    };
    ours == side
        && InvoiceStatus::parse(&row.status)
            .is_some_and(|s| transition(s, row.amounts(), side, action).is_ok())
}

fn line_of(
    state: &AppState,
    lang: Lang,
    row: &FederationInvoiceRow,
    links: &[LinkRow],
    done: Option<Uuid>,
) -> Line {
    let status = InvoiceStatus::parse(&row.status).unwrap_or(InvoiceStatus::Issued);
    let today = distretto_store::now().date();
    let remaining = row.remaining_minor();
    let same_currency = row.currency == state.config.currency.code;
    Line {
        id: row.id,
        when: row.created_at.date().to_string(),
        sent: row.side == "creditor",
        other: if row.counterpart_name.is_empty() {
            row.counterpart.clone()
        } else {
            row.counterpart_name.clone()
        },
        district: links
            .iter()
            .find(|l| l.id == row.link_id)
            .map_or_else(String::new, |l| l.peer_name.clone()),
        amount: amount_of(state, lang, &row.currency, row.amount_minor),
        remaining: amount_of(state, lang, &row.currency, remaining),
        remaining_input: if same_currency && remaining > 0 {
            state
                .config
                .currency
                .format(remaining, crate::ledger::pages::decimal_separator(lang))
        } else {
            String::new()
        },
        due: row.due_on.to_string(),
        overdue: distretto_domain::ledger::invoice::overdue(
            status,
            row.amounts(),
            row.due_on,
            today,
        ),
        status: status_id(status),
        sending: !row.delivered,
        can_accept: allows(row, InvoiceSide::Debtor, InvoiceAction::Accept),
        can_dispute: allows(row, InvoiceSide::Debtor, InvoiceAction::Dispute),
        can_pay: allows(row, InvoiceSide::Debtor, InvoiceAction::Pay(1)),
        can_cancel: row.delivered && allows(row, InvoiceSide::Creditor, InvoiceAction::Cancel),
        key: Uuid::new_v4().to_string(),
        highlight: done == Some(row.id),
    }
}

async fn view(
    state: &AppState,
    viewer: &Viewer,
    done: Option<Uuid>,
    mut form: IssueForm,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let lang = viewer.lang;
    let links = distretto_store::federation::links(&state.db).await?;
    let districts = district_choices(&links, &form.link);
    let (accounts, _) = account_choices(state, viewer, &form.from, false).await?;
    if form.due_on.is_empty() {
        form.due_on = (distretto_store::now().date() + time::Duration::days(30)).to_string();
    }
    let lines = invoices::mine(state, actor, SHOWN)
        .await?
        .iter()
        .map(|r| line_of(state, lang, r, &links, done))
        .collect();
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let page = InvoicesPage {
        c: Chrome::new(state, viewer, "/federation"),
        notice: done.is_some(),
        error,
        districts,
        accounts,
        form,
        lines,
    };
    Ok(render_status(status, &page))
}

async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let done = Uuid::parse_str(q.done.trim()).ok();
    view(&state, &viewer, done, IssueForm::default(), None).await
}

fn form_id(text: &str, code: &'static str) -> Result<Uuid, AppError> {
    Uuid::parse_str(text.trim()).map_err(|_| AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code))
}

fn done(id: Uuid) -> Response {
    Redirect::to(&format!("/federation/invoices?done={id}#invoices")).into_response()
}

/// `POST /federation/invoices`: issues an invoice to a member of a linked district.
async fn issue_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    PageForm(form): PageForm<IssueForm>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let result = async {
        let link = form_id(&form.link, "federation_link_status")?;
        let creditor = form_id(&form.from, "unknown_account")?;
        let amount = state.config.currency.parse(&form.amount)?;
        let due_on = time::Date::parse(
            form.due_on.trim(),
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map_err(|_| AppError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "bad_date",
            field: Some("due_on"),
        })?;
        let input = IssueInput {
            link,
            creditor,
            debtor: &form.debtor,
            amount_minor: amount.minor(),
            description: &form.description,
            due_on,
        };
        invoices::issue(&state, actor, &input).await
    }
    .await;
    match result {
        Ok(row) => Ok(done(row.id)),
        Err(e) if e.status.is_client_error() => view(&state, &viewer, None, form, Some(e)).await,
        Err(e) => Err(e),
    }
}

/// `POST /federation/invoices/{id}/{action}`: accept, dispute, cancel or pay.
async fn act_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    PageForm(form): PageForm<ActForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let result = match action.as_str() {
        "accept" => invoices::step(&state, actor, id, Step::Accept)
            .await
            .map(|_| ()),
        "dispute" => invoices::step(&state, actor, id, Step::Dispute(form.reason))
            .await
            .map(|_| ()),
        "cancel" => invoices::step(&state, actor, id, Step::Cancel)
            .await
            .map(|_| ()),
        "pay" => async {
            let amount = state.config.currency.parse(&form.amount)?;
            let key = crate::ledger::service::parse_idempotency_key(&form.key)?;
            invoices::pay(&state, actor, id, amount.minor(), &key).await
        }
        .await
        .map(|_| ()),
        _ => Err(AppError::not_found()),
    };
    match result {
        Ok(()) => Ok(done(id)),
        Err(e)
            if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND
                || e.status == StatusCode::SERVICE_UNAVAILABLE =>
        {
            view(&state, &viewer, None, IssueForm::default(), Some(e)).await
        }
        Err(e) => Err(e),
    }
}
