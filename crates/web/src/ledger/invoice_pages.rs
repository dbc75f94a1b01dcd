//! Pages of invoices: the list (owed, owed to me, overdue), issuing, and one invoice with its
//! history and the actions its sides may take.

use super::api::{InvoiceParams, invoice_filter, today};
use super::service::{self, InvoiceInput, InvoiceStep};
use crate::auth::Viewer;
use crate::auth::viewer::Actor;
use crate::directory::pages::parse_id;
use crate::i18n::Lang;
use crate::pages::{Chrome, PageForm, encode_query, render_status};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use distretto_domain::directory::DirectoryQuery;
use distretto_domain::ledger::invoice::{self, InvoiceAction, InvoiceSide, InvoiceStatus};
use distretto_domain::ledger::{Amount, Currency, EURO};
use distretto_store::accounts::AccountRow;
use distretto_store::ledger::invoices::{InvoiceEventRow, InvoiceRow};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Invoices per page of the list.
const PAGE_SIZE: u32 = 50;
/// Up to this many member organisations, the debtor select lists them all; beyond, a search.
const MAX_ORGANIZATION_OPTIONS: u32 = 300;
/// Recent invoices whose counterparties the debtor select offers.
const RECENT_INVOICES: i64 = 100;
/// A new invoice's default term.
const DUE_IN_DAYS: i64 = 30;
/// The most distinct people named in one invoice's history (each is one lookup).
const MAX_EVENT_ACTORS: usize = 20;

pub(crate) fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            "/invoices",
            axum::routing::get(list_page).post(issue_submit),
        )
        .route("/invoices/new", axum::routing::get(new_form))
        .route("/invoices/{id}", axum::routing::get(show_page))
        .route(
            "/invoices/{id}/{action}",
            axum::routing::post(action_submit),
        )
}

// ---------- money, dates and names as the viewer reads them ----------

/// The currency of an invoice: the euro or the district's.
pub(crate) fn currency_of(state: &AppState, code: &str) -> Currency {
    if code == EURO {
        Currency::euro()
    } else {
        state.config.currency.clone()
    }
}

/// Minor units as the viewer's language writes them, with the currency's symbol.
fn money(state: &AppState, lang: Lang, minor: i64, code: &str) -> String {
    super::pages::money(lang, &currency_of(state, code), minor)
}

/// Minor units as a person would type them back into the form (no symbol).
fn typed_amount(state: &AppState, lang: Lang, minor: i64, code: &str) -> String {
    super::pages::input_amount(lang, &currency_of(state, code), minor)
}

/// A day as day/month/year, as [`Chrome::date`] writes instants.
pub(crate) fn day(d: time::Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}

/// A label from `names`, or a dash for an account without one.
pub(crate) fn name_of(names: &HashMap<Uuid, String>, id: Uuid) -> String {
    names.get(&id).cloned().unwrap_or_else(|| "—".to_owned())
}

/// The ids of the accounts the actor can act for.
async fn my_account_ids(state: &AppState, actor: &Actor) -> Result<HashSet<Uuid>, AppError> {
    Ok(service::my_accounts(state, actor)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect())
}

// ---------- the list ----------

/// One line of the list, ready to show.
struct InvoiceLine {
    id: Uuid,
    number: String,
    counterparty: String,
    /// `owe` (the viewer is debtor), `owed` (creditor) or `between` (a coordinator's view).
    direction: &'static str,
    amount: String,
    paid: String,
    remaining: String,
    due: String,
    due_iso: String,
    overdue: bool,
    status: String,
}

/// A filter link: label id, address, whether it is the current one.
struct Tab {
    label: &'static str,
    href: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "invoices.html")]
struct ListPage {
    c: Chrome,
    tabs: Vec<Tab>,
    statuses: Vec<Tab>,
    all: bool,
    all_href: String,
    lines: Vec<InvoiceLine>,
    total: i64,
    prev: Option<String>,
    next: Option<String>,
}

impl ListPage {
    fn status_label(&self, code: &str) -> String {
        self.c.lang.t(&format!("invoice_status_{code}"))
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    view: Option<String>,
    status: Option<String>,
    all: Option<String>,
    offset: Option<u64>,
}

impl ListQuery {
    fn view(&self) -> &str {
        let view = self.view.as_deref().unwrap_or_default();
        if matches!(view, "pay" | "collect" | "overdue") {
            view
        } else {
            ""
        }
    }

    fn all(&self) -> bool {
        matches!(self.all.as_deref(), Some("1" | "true"))
    }

    fn status(&self) -> &str {
        self.status.as_deref().unwrap_or_default()
    }

    /// The list's address with these filters and `offset`.
    fn href(&self, view: &str, status: &str, all: bool, offset: u64) -> String {
        let mut parts = Vec::new();
        if !view.is_empty() {
            parts.push(format!("view={view}"));
        }
        if !status.is_empty() {
            parts.push(format!("status={}", encode_query(status)));
        }
        if all {
            parts.push("all=1".to_owned());
        }
        if offset > 0 {
            parts.push(format!("offset={offset}"));
        }
        if parts.is_empty() {
            "/invoices".to_owned()
        } else {
            format!("/invoices?{}", parts.join("&"))
        }
    }

    fn params(&self) -> InvoiceParams {
        InvoiceParams {
            role: match self.view() {
                "pay" => Some("debtor".into()),
                "collect" => Some("creditor".into()),
                _ => None,
            },
            status: self.status.clone(),
            overdue: Some(self.view() == "overdue"),
            all: Some(self.all()),
            limit: Some(PAGE_SIZE),
            offset: Some(self.offset.unwrap_or(0).min(10_000_000)),
        }
    }

    fn tabs(&self) -> Vec<Tab> {
        [
            ("", "invoices_tab_everything"),
            ("pay", "invoices_tab_pay"),
            ("collect", "invoices_tab_collect"),
            ("overdue", "invoices_tab_overdue"),
        ]
        .into_iter()
        .map(|(view, label)| Tab {
            label,
            href: self.href(view, self.status(), self.all(), 0),
            current: self.view() == view,
        })
        .collect()
    }

    fn statuses(&self) -> Vec<Tab> {
        std::iter::once(("", "invoices_status_any"))
            .chain(
                InvoiceStatus::ALL
                    .iter()
                    .map(|s| (s.code(), status_label_id(*s))),
            )
            .map(|(code, label)| Tab {
                label,
                href: self.href(self.view(), code, self.all(), 0),
                current: self.status() == code,
            })
            .collect()
    }
}

/// The message id of a status's label.
const fn status_label_id(s: InvoiceStatus) -> &'static str {
    match s {
        InvoiceStatus::Issued => "invoice_status_issued",
        InvoiceStatus::Accepted => "invoice_status_accepted",
        InvoiceStatus::Disputed => "invoice_status_disputed",
        InvoiceStatus::Paid => "invoice_status_paid",
        InvoiceStatus::Cancelled => "invoice_status_cancelled",
    }
}

fn line_of(
    state: &AppState,
    lang: Lang,
    inv: InvoiceRow,
    mine: &HashSet<Uuid>,
    names: &HashMap<Uuid, String>,
    today: time::Date,
) -> InvoiceLine {
    let (direction, counterparty) = if mine.contains(&inv.debtor) {
        ("owe", name_of(names, inv.creditor))
    } else if mine.contains(&inv.creditor) {
        ("owed", name_of(names, inv.debtor))
    } else {
        (
            "between",
            format!(
                "{} → {}",
                name_of(names, inv.creditor),
                name_of(names, inv.debtor)
            ),
        )
    };
    InvoiceLine {
        overdue: inv.overdue(today),
        id: inv.id,
        counterparty,
        direction,
        amount: money(state, lang, inv.amount_minor, &inv.currency),
        paid: money(state, lang, inv.paid_minor, &inv.currency),
        remaining: money(state, lang, inv.remaining_minor(), &inv.currency),
        due: day(inv.due_on),
        due_iso: inv.due_on.to_string(),
        status: inv.status,
        number: inv.number,
    }
}

async fn list_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let params = q.params();
    let filter = invoice_filter(&state, actor, &params).await?;
    let offset = params.offset.unwrap_or(0);
    let (rows, total) = distretto_store::ledger::invoices::list(
        &state.db,
        &filter,
        i64::from(PAGE_SIZE),
        offset as i64,
    )
    .await?;
    let mine = my_account_ids(&state, actor).await?;
    let ids: Vec<Uuid> = rows.iter().flat_map(|i| [i.debtor, i.creditor]).collect();
    let names = super::pages::labels(&state, viewer.lang, &ids).await?;
    let today = today();
    let lines = rows
        .into_iter()
        .map(|inv| line_of(&state, viewer.lang, inv, &mine, &names, today))
        .collect();
    let here = q.href(q.view(), q.status(), q.all(), offset);
    let size = u64::from(PAGE_SIZE);
    Ok(render_status(
        StatusCode::OK,
        &ListPage {
            c: Chrome::new(&state, &viewer, &here),
            tabs: q.tabs(),
            statuses: q.statuses(),
            all: q.all(),
            all_href: q.href(q.view(), q.status(), !q.all(), 0),
            lines,
            total,
            prev: (offset > 0)
                .then(|| q.href(q.view(), q.status(), q.all(), offset.saturating_sub(size))),
            next: (offset + size < total.max(0) as u64)
                .then(|| q.href(q.view(), q.status(), q.all(), offset + size)),
        },
    ))
}

// ---------- issuing ----------

/// The issue form's values (kept to re-fill the form after an error).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct InvoiceForm {
    creditor: String,
    /// `o:<organisation id>` or `a:<account id>` from the select.
    debtor: String,
    /// An account id typed instead (wins over the select).
    debtor_account: String,
    currency: String,
    amount: String,
    number: String,
    description: String,
    due_on: String,
}

/// A choice of a select: value and label.
struct Choice {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "invoice_new.html")]
struct NewPage {
    c: Chrome,
    form: InvoiceForm,
    accounts: Vec<Choice>,
    organizations: Vec<Choice>,
    recent: Vec<Choice>,
    truncated: bool,
    find: String,
    district_code: String,
    district_name: String,
    error: Option<AppError>,
}

impl NewPage {
    /// Whether the error concerns `field` (for `aria-invalid`).
    fn invalid(&self, field: &str) -> bool {
        self.error.as_ref().and_then(|e| e.field) == Some(field)
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct NewQuery {
    /// An organisation to invoice (preselected).
    to: Option<String>,
    /// Words to find the debtor organisation by, when there are too many to list.
    find: Option<String>,
}

/// Labels of the actor's own accounts, for the "from" select.
async fn own_choices(
    state: &AppState,
    lang: Lang,
    accounts: &[AccountRow],
) -> Result<Vec<Choice>, AppError> {
    let ids: Vec<Uuid> = accounts.iter().map(|a| a.id).collect();
    let names = super::pages::labels(state, lang, &ids).await?;
    Ok(accounts
        .iter()
        .map(|a| {
            let name = name_of(&names, a.id);
            let label = if a.owner_kind == "person" {
                format!("{name} ({})", lang.t("invoice_account_personal"))
            } else {
                name
            };
            Choice {
                value: a.id.to_string(),
                label,
            }
        })
        .collect())
}

/// Active member organisations (all when few, else those matching `find`), without the
/// actor's own; and whether the list was cut.
async fn organization_choices(
    state: &AppState,
    own: &[AccountRow],
    find: &str,
) -> Result<(Vec<Choice>, bool), AppError> {
    let q = DirectoryQuery::parse(
        Some(find),
        None,
        None,
        None,
        Some(MAX_ORGANIZATION_OPTIONS),
        None,
    )?;
    let total = distretto_store::directory::search_count(&state.db, &q).await?;
    let orgs = distretto_store::directory::search_page(&state.db, &q).await?;
    let own_orgs: HashSet<Uuid> = own.iter().filter_map(|a| a.owner_id).collect();
    let choices = orgs
        .into_iter()
        .filter(|o| !own_orgs.contains(&o.id))
        .map(|o| Choice {
            value: format!("o:{}", o.id),
            label: o.name,
        })
        .collect();
    Ok((choices, total > i64::from(MAX_ORGANIZATION_OPTIONS)))
}

/// Accounts the actor invoiced or was invoiced by lately, other than organisations already
/// listed (people, and organisations beyond a cut list).
async fn recent_choices(
    state: &AppState,
    lang: Lang,
    own: &[AccountRow],
    organizations_listed: bool,
) -> Result<Vec<Choice>, AppError> {
    let mine: HashSet<Uuid> = own.iter().map(|a| a.id).collect();
    if mine.is_empty() {
        return Ok(Vec::new());
    }
    let filter = distretto_store::ledger::invoices::InvoiceFilter {
        accounts: mine.iter().copied().collect(),
        ..Default::default()
    };
    let (rows, _) =
        distretto_store::ledger::invoices::list(&state.db, &filter, RECENT_INVOICES, 0).await?;
    let mut others: Vec<Uuid> = rows
        .iter()
        .flat_map(|i| [i.debtor, i.creditor])
        .filter(|id| !mine.contains(id))
        .collect();
    others.sort_unstable();
    others.dedup();
    let rows = distretto_store::ledger::owner_names(&state.db, &others).await?;
    let mut choices: Vec<Choice> = rows
        .into_iter()
        .filter(|(_, kind, _, _)| !(organizations_listed && kind == "organization"))
        .map(|(id, kind, name, purpose)| Choice {
            value: format!("a:{id}"),
            label: match (kind.as_str(), purpose.as_deref()) {
                ("district", Some("fund")) => lang.t("account_district_fund"),
                ("district", Some("fees")) => lang.t("account_district_fees"),
                ("district", _) => lang.t("account_district"),
                _ => name,
            },
        })
        .collect();
    choices.sort_by(|a, b| a.label.cmp(&b.label));
    Ok(choices)
}

/// Renders the issue form, with `error` if the last submission was refused.
async fn new_view(
    state: &AppState,
    viewer: &Viewer,
    form: InvoiceForm,
    find: &str,
    error: Option<AppError>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let own = service::my_accounts(state, actor).await?;
    let find: String = find.chars().take(100).collect();
    let (organizations, truncated) = organization_choices(state, &own, &find).await?;
    let recent = recent_choices(state, viewer.lang, &own, !truncated).await?;
    let here = if find.is_empty() {
        "/invoices/new".to_owned()
    } else {
        format!("/invoices/new?find={}", encode_query(&find))
    };
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    Ok(render_status(
        status,
        &NewPage {
            c: Chrome::new(state, viewer, &here),
            accounts: own_choices(state, viewer.lang, &own).await?,
            form,
            organizations,
            recent,
            truncated,
            find,
            district_code: state.config.currency.code.clone(),
            district_name: state.config.currency.name.clone(),
            error,
        },
    ))
}

async fn new_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<NewQuery>,
) -> Result<Response, AppError> {
    viewer.actor()?;
    let due = today()
        .checked_add(time::Duration::days(DUE_IN_DAYS))
        .unwrap_or_else(today);
    let form = InvoiceForm {
        debtor: q
            .to
            .as_deref()
            .and_then(|t| Uuid::parse_str(t.trim()).ok())
            .map(|o| format!("o:{o}"))
            .unwrap_or_default(),
        currency: state.config.currency.code.clone(),
        due_on: due.to_string(),
        ..InvoiceForm::default()
    };
    new_view(
        &state,
        &viewer,
        form,
        q.find.as_deref().unwrap_or_default(),
        None,
    )
    .await
}

/// The debtor's account: the typed account id, else the select's organisation or account.
async fn resolve_debtor(state: &AppState, form: &InvoiceForm) -> Result<Uuid, AppError> {
    let unknown = || super::api::unprocessable("unknown_account", "debtor");
    let typed = form.debtor_account.trim();
    if !typed.is_empty() {
        return Uuid::parse_str(typed)
            .map_err(|_| super::api::unprocessable("unknown_account", "debtor_account"));
    }
    match form.debtor.split_once(':') {
        Some(("a", id)) => Uuid::parse_str(id).map_err(|_| unknown()),
        Some(("o", id)) => {
            let org = Uuid::parse_str(id).map_err(|_| unknown())?;
            let accounts =
                distretto_store::accounts::of_owner(&state.db, "organization", org).await?;
            accounts
                .into_iter()
                .find(|a| a.currency == state.config.currency.code)
                .map(|a| a.id)
                .ok_or_else(unknown)
        }
        _ => Err(super::api::unprocessable(
            "invoice_debtor_required",
            "debtor",
        )),
    }
}

/// The form parsed into the service's input; the first problem found otherwise.
async fn parse_invoice_form(
    state: &AppState,
    form: &InvoiceForm,
) -> Result<InvoiceInput, AppError> {
    let creditor = Uuid::parse_str(form.creditor.trim())
        .map_err(|_| super::api::unprocessable("unknown_account", "creditor"))?;
    let debtor = resolve_debtor(state, form).await?;
    let currency = form.currency.trim().to_owned();
    if currency != EURO && currency != state.config.currency.code {
        return Err(super::api::unprocessable("currency_mismatch", "currency"));
    }
    let amount: Amount = currency_of(state, &currency).parse(&form.amount)?;
    let description = invoice::parse_description(&form.description)?;
    let due_on = time::Date::parse(
        form.due_on.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| super::api::unprocessable("bad_date", "due_on"))?;
    Ok(InvoiceInput {
        creditor,
        debtor,
        currency,
        amount,
        number: form.number.clone(),
        description,
        due_on,
    })
}

/// Points field-less refusals of the service at the field they concern.
fn with_field(mut e: AppError) -> AppError {
    if e.field.is_none() {
        e.field = match e.code {
            "unknown_account" | "same_account" => Some("debtor"),
            "not_your_account" | "forbidden" => Some("creditor"),
            _ => None,
        };
    }
    e
}

async fn issue_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    PageForm(form): PageForm<InvoiceForm>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let result = match parse_invoice_form(&state, &form).await {
        Ok(input) => service::issue_invoice(&state, actor, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(inv) => Ok(Redirect::to(&format!("/invoices/{}?done=issued", inv.id)).into_response()),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::UNAUTHORIZED => {
            new_view(&state, &viewer, form, "", Some(with_field(e))).await
        }
        Err(e) => Err(e),
    }
}

// ---------- one invoice ----------

/// An invoice, ready to show.
struct InvoiceView {
    id: Uuid,
    number: String,
    creditor: String,
    debtor: String,
    in_euro: bool,
    amount: String,
    paid: String,
    set_off: String,
    remaining: String,
    description: String,
    status: String,
    due: String,
    due_iso: String,
    overdue: bool,
    dispute_reason: Option<String>,
    issued: String,
    issued_iso: String,
}

/// A history entry, ready to show.
struct EventLine {
    when: String,
    when_iso: String,
    label: String,
    amount: Option<String>,
    who: String,
    note: String,
}

/// The steps the viewer's side may take now.
#[derive(Default)]
struct Allowed {
    accept: bool,
    dispute: bool,
    cancel: bool,
    pay: bool,
    record: bool,
}

impl Allowed {
    fn any(&self) -> bool {
        self.accept || self.dispute || self.cancel || self.pay || self.record
    }
}

/// The values of the action forms (kept after an error).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ActionForm {
    amount: String,
    reason: String,
    note: String,
}

#[derive(Template)]
#[template(path = "invoice.html")]
struct ShowPage {
    c: Chrome,
    inv: InvoiceView,
    events: Vec<EventLine>,
    side: &'static str,
    allowed: Allowed,
    pay_amount: String,
    record_amount: String,
    record_note: String,
    dispute_reason: String,
    /// The action whose form the error concerns.
    failed: String,
    notice: Option<&'static str>,
    error: Option<AppError>,
}

impl ShowPage {
    fn status_label(&self, code: &str) -> String {
        self.c.lang.t(&format!("invoice_status_{code}"))
    }

    /// Whether the error concerns `action`'s form (for `aria-invalid`).
    fn invalid(&self, action: &str) -> bool {
        self.error.is_some() && self.failed == action
    }
}

fn side_of(inv: &InvoiceRow, mine: &HashSet<Uuid>) -> Option<InvoiceSide> {
    if mine.contains(&inv.debtor) {
        Some(InvoiceSide::Debtor)
    } else if mine.contains(&inv.creditor) {
        Some(InvoiceSide::Creditor)
    } else {
        None
    }
}

/// What `side` may do to `inv` now: the domain's transitions decide, as the service will.
fn allowed(inv: &InvoiceRow, side: Option<InvoiceSide>) -> Allowed {
    let (Some(side), Some(status)) = (side, InvoiceStatus::parse(&inv.status)) else {
        return Allowed::default();
    };
    let ok = |a: InvoiceAction| invoice::transition(status, inv.amounts(), side, a).is_ok();
    let debtor = side == InvoiceSide::Debtor;
    let payable = inv.remaining_minor() > 0 && ok(InvoiceAction::Pay(inv.remaining_minor()));
    Allowed {
        accept: debtor && ok(InvoiceAction::Accept),
        dispute: debtor && ok(InvoiceAction::Dispute),
        cancel: !debtor && ok(InvoiceAction::Cancel),
        pay: debtor && inv.currency != EURO && payable,
        record: !debtor && payable,
    }
}

fn invoice_view(
    state: &AppState,
    lang: Lang,
    inv: InvoiceRow,
    names: &HashMap<Uuid, String>,
) -> InvoiceView {
    let m = |minor: i64| money(state, lang, minor, &inv.currency);
    InvoiceView {
        id: inv.id,
        creditor: name_of(names, inv.creditor),
        debtor: name_of(names, inv.debtor),
        in_euro: inv.currency == EURO,
        amount: m(inv.amount_minor),
        paid: m(inv.paid_minor),
        set_off: m(inv.set_off_minor),
        remaining: m(inv.remaining_minor()),
        due: day(inv.due_on),
        due_iso: inv.due_on.to_string(),
        overdue: inv.overdue(today()),
        issued: day(inv.created_at.date()),
        issued_iso: inv.created_at.date().to_string(),
        number: inv.number,
        description: inv.description,
        status: inv.status,
        dispute_reason: inv.dispute_reason,
    }
}

/// Names of the people in a history (bounded lookups).
async fn actor_names(
    state: &AppState,
    events: &[InvoiceEventRow],
) -> Result<HashMap<Uuid, String>, AppError> {
    let mut ids: Vec<Uuid> = events.iter().filter_map(|e| e.actor).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut names = HashMap::new();
    for id in ids.into_iter().take(MAX_EVENT_ACTORS) {
        match distretto_store::membership::person(&state.db, id).await {
            Ok(p) => {
                names.insert(id, p.name);
            }
            Err(distretto_store::StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(names)
}

async fn event_lines(
    state: &AppState,
    lang: Lang,
    inv: &InvoiceRow,
) -> Result<Vec<EventLine>, AppError> {
    let events = distretto_store::ledger::invoices::events(&state.db, inv.id).await?;
    let names = actor_names(state, &events).await?;
    Ok(events
        .into_iter()
        .map(|e| EventLine {
            when: format!(
                "{} {:02}:{:02}",
                day(e.created_at.date()),
                e.created_at.hour(),
                e.created_at.minute()
            ),
            when_iso: e
                .created_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            label: lang.t(&format!("invoice_event_{}", e.action)),
            amount: e.amount_minor.map(|a| money(state, lang, a, &inv.currency)),
            who: e
                .actor
                .and_then(|a| names.get(&a).cloned())
                .unwrap_or_default(),
            note: e.note,
        })
        .collect())
}

/// What the last action on the page was, for re-rendering after an error.
struct Attempt {
    action: String,
    form: ActionForm,
    error: AppError,
}

async fn show_view(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    notice: Option<&'static str>,
    attempt: Option<Attempt>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let lang = viewer.lang;
    let inv = service::readable_invoice(state, actor, id).await?;
    let side = side_of(&inv, &my_account_ids(state, actor).await?);
    let allowed = allowed(&inv, side);
    let remaining = typed_amount(state, lang, inv.remaining_minor().max(0), &inv.currency);
    let events = event_lines(state, lang, &inv).await?;
    let names = super::pages::labels(state, lang, &[inv.debtor, inv.creditor]).await?;
    let (failed, form, error) = match attempt {
        Some(a) => (a.action, a.form, Some(a.error)),
        None => (String::new(), ActionForm::default(), None),
    };
    let keep = |action: &str, value: &str| {
        if failed == action {
            value.to_owned()
        } else {
            remaining.clone()
        }
    };
    let page = ShowPage {
        pay_amount: keep("pay", &form.amount),
        record_amount: keep("record", &form.amount),
        record_note: form.note.clone(),
        dispute_reason: form.reason.clone(),
        c: Chrome::new(state, viewer, &format!("/invoices/{id}")),
        inv: invoice_view(state, lang, inv, &names),
        events,
        side: match side {
            Some(InvoiceSide::Debtor) => "debtor",
            Some(InvoiceSide::Creditor) => "creditor",
            None => "",
        },
        allowed,
        failed,
        notice,
        error,
    };
    let status = page.error.as_ref().map_or(StatusCode::OK, |e| e.status);
    Ok(render_status(status, &page))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DoneQuery {
    done: Option<String>,
}

/// The confirmation shown after a redirect to `/invoices/{id}?done=…`.
fn notice_of(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "issued" => "invoice_done_issued",
        "accept" => "invoice_done_accept",
        "dispute" => "invoice_done_dispute",
        "cancel" => "invoice_done_cancel",
        "pay" => "invoice_done_pay",
        "record" => "invoice_done_record",
        _ => return None,
    })
}

async fn show_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    show_view(&state, &viewer, id, notice_of(q.done.as_deref()), None).await
}

/// The step a form asks for, with its amount parsed in the invoice's currency.
fn step_of(
    state: &AppState,
    inv: &InvoiceRow,
    action: &str,
    form: &ActionForm,
) -> Result<InvoiceStep, AppError> {
    let amount = || -> Result<Amount, AppError> {
        if form.amount.trim().is_empty() {
            return Err(super::api::unprocessable("amount_required", "amount"));
        }
        Ok(currency_of(state, &inv.currency).parse(&form.amount)?)
    };
    Ok(match action {
        "accept" => InvoiceStep::Accept,
        "dispute" => InvoiceStep::Dispute(form.reason.clone()),
        "cancel" => InvoiceStep::Cancel,
        "pay" => InvoiceStep::Pay(amount()?),
        "record" => InvoiceStep::Record(amount()?, form.note.clone()),
        _ => return Err(AppError::not_found()),
    })
}

async fn action_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    PageForm(form): PageForm<ActionForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let actor = viewer.actor()?;
    let inv = service::readable_invoice(&state, actor, id).await?;
    let result = match step_of(&state, &inv, &action, &form) {
        Ok(step) => service::invoice_step(&state, actor, id, step)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/invoices/{id}?done={action}")).into_response()),
        Err(e)
            if e.status.is_client_error()
                && e.status != StatusCode::NOT_FOUND
                && e.status != StatusCode::UNAUTHORIZED =>
        {
            let attempt = Attempt {
                action,
                form,
                error: e,
            };
            show_view(&state, &viewer, id, None, Some(attempt)).await
        }
        Err(e) => Err(e),
    }
}
