//! Purchasing pages: the entry page (`/purchasing`), a producer's catalogue (products, their
//! photos, import and export as GDXP or CSV) and a purchasing group's pickup points. Every page
//! works without JavaScript; changes go through [`super::service`], which checks that the actor
//! keeps the catalogue or runs the group.

use super::service::{self, PickupInput};
use crate::auth::Viewer;
use crate::auth::viewer::Actor;
use crate::directory::pages::parse_id;
use crate::i18n::Lang;
use crate::pages::{Chrome, PageForm, render_status};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use distretto_domain::ledger::{Currency, format_minor, parse_amount};
use distretto_domain::purchasing::catalogue::{ALL_MONTHS, format_quantity, parse_quantity};
use distretto_domain::purchasing::{
    Certification, Product, ProductDraft, Unit, catalogue_csv, gdxp,
};
use distretto_store::directory::OrganizationRow;
use distretto_store::purchasing::catalogue::{self as store, PickupRow, ProductRow};
use std::collections::HashSet;
use uuid::Uuid;

/// The largest catalogue file imported, in bytes.
const MAX_IMPORT_BYTES: usize = 10 * 1024 * 1024;
/// The most problems of a refused file listed on the page (the count says how many more).
const MAX_SHOWN_PROBLEMS: usize = 200;
/// The most producers the entry page lists.
const MAX_HOME_PRODUCERS: i64 = 500;
/// The most of the viewer's organisations the entry page looks at.
const MAX_OWN_ORGANIZATIONS: usize = 30;
/// The most parts of a multipart form read (a file and the CSRF token).
const MAX_FORM_PARTS: usize = 8;

pub(crate) fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    let uploads = DefaultBodyLimit::max(crate::pages::csrf::MAX_UPLOAD_BYTES);
    axum::Router::new()
        .route("/purchasing", get(home))
        .route(
            "/purchasing/producers/{id}/catalogue",
            get(catalogue_page).post(add_submit),
        )
        .route("/purchasing/producers/{id}/catalogue/new", get(new_form))
        .route(
            "/purchasing/producers/{id}/catalogue/import",
            post(import_submit).layer(uploads),
        )
        .route(
            "/purchasing/producers/{id}/catalogue/export.json",
            get(export_gdxp),
        )
        .route(
            "/purchasing/producers/{id}/catalogue/export.csv",
            get(export_csv),
        )
        .route(
            "/purchasing/producers/{id}/catalogue/{product}",
            post(edit_submit),
        )
        .route(
            "/purchasing/producers/{id}/catalogue/{product}/edit",
            get(edit_form),
        )
        .route(
            "/purchasing/producers/{id}/catalogue/{product}/photo",
            post(photo_submit).layer(uploads),
        )
        .route(
            "/purchasing/producers/{id}/catalogue/{product}/{action}",
            post(active_submit),
        )
        .route("/purchasing/products/{id}/photo", get(photo))
        .route(
            "/purchasing/groups/{id}/pickups",
            get(pickups_page).post(pickup_submit),
        )
        .route(
            "/purchasing/groups/{id}/pickups/{pickup}/withdraw",
            post(pickup_withdraw),
        )
}

// ---------- how products read ----------

/// Thousandths as the viewer reads them, without trailing zeros ("1,5").
fn plain_quantity(lang: Lang, milli: i64) -> String {
    service::quantity(lang, milli)
}

/// A VAT rate in basis points as a percentage the viewer types ("5,5").
fn vat_text(lang: Lang, basis_points: i64) -> String {
    let sep = crate::ledger::pages::decimal_separator(lang);
    let text = format_minor(basis_points, 2, sep);
    let trimmed = text.trim_end_matches('0');
    trimmed.strip_suffix(sep).unwrap_or(trimmed).to_owned()
}

/// The months of a season bitmask by name, or "all year".
fn season_text(lang: Lang, months: i32) -> String {
    let months = u16::try_from(months).unwrap_or(ALL_MONTHS) & ALL_MONTHS;
    if months == ALL_MONTHS || months == 0 {
        return lang.t("catalogue_all_year");
    }
    (1..=12u8)
        .filter(|m| months & (1 << (m - 1)) != 0)
        .map(|m| lang.t(&format!("catalogue_month_{m}")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The message id of a certification's label.
fn certification_label(lang: Lang, code: &str) -> String {
    match Certification::parse(code) {
        Some(c) => lang.t(&format!("catalogue_cert_{}", c.code())),
        None => code.to_owned(),
    }
}

/// A product as the catalogue shows it.
struct ProductView {
    id: Uuid,
    sku: String,
    name: String,
    description: String,
    /// "0,25 kg": what a household orders at least, and by.
    step: String,
    /// "5 kg" when the producer ships whole packages.
    package: Option<String>,
    price_euro: Option<String>,
    price_credit: Option<String>,
    unit: String,
    vat: String,
    origin: String,
    certifications: Vec<String>,
    season: String,
    /// What is left when stock is limited.
    stock: Option<String>,
    photo: bool,
    active: bool,
}

fn product_view(
    state: &AppState,
    lang: Lang,
    r: &ProductRow,
    photos: &HashSet<Uuid>,
) -> ProductView {
    let unit = service::unit_label(lang, &r.unit);
    let with_unit = |milli: i64| format!("{} {unit}", plain_quantity(lang, milli));
    let euro = Currency::euro();
    ProductView {
        id: r.id,
        sku: r.sku.clone(),
        name: r.name.clone(),
        description: r.description.clone(),
        step: with_unit(r.step_milli),
        package: (r.package_size_milli > r.step_milli).then(|| with_unit(r.package_size_milli)),
        price_euro: r
            .price_euro_minor
            .map(|m| crate::ledger::pages::money(lang, &euro, m)),
        price_credit: r
            .price_credit_minor
            .map(|m| crate::ledger::pages::money(lang, &state.config.currency, m)),
        vat: vat_text(lang, i64::from(r.vat_basis_points)),
        origin: r.origin.clone(),
        certifications: r
            .certifications
            .split(',')
            .filter(|c| !c.is_empty())
            .map(|c| certification_label(lang, c))
            .collect(),
        season: season_text(lang, r.season_months),
        stock: r.stock_milli.map(with_unit),
        photo: photos.contains(&r.id),
        active: r.active,
        unit,
    }
}

// ---------- the entry page ----------

/// A link to an organisation's purchasing page.
struct OrgLink {
    id: Uuid,
    name: String,
    kind: String,
    locality: String,
    /// Active products (producers on the entry page).
    products: i64,
}

#[derive(Template)]
#[template(path = "purchasing_home.html")]
struct HomePage {
    c: Chrome,
    producers: Vec<OrgLink>,
    my_catalogues: Vec<OrgLink>,
    my_groups: Vec<OrgLink>,
}

/// The producers and groups the actor administers (bounded).
async fn own_organizations(
    state: &AppState,
    actor: &Actor,
) -> Result<(Vec<OrgLink>, Vec<OrgLink>), AppError> {
    let mine = distretto_store::membership::organizations_of(&state.db, actor.id).await?;
    let (mut catalogues, mut groups) = (Vec::new(), Vec::new());
    for m in mine
        .iter()
        .filter(|m| m.role == "admin" && m.status == "active")
        .take(MAX_OWN_ORGANIZATIONS)
    {
        let link = |org: OrganizationRow| OrgLink {
            id: org.id,
            name: org.name,
            kind: org.kind,
            locality: org.locality,
            products: 0,
        };
        if let Ok(org) = service::producer(state, m.organization_id).await {
            catalogues.push(link(org));
        } else if let Ok(org) = service::group(state, m.organization_id).await {
            groups.push(link(org));
        }
    }
    Ok((catalogues, groups))
}

async fn home(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let kinds: Vec<&str> = service::PRODUCER_KINDS.iter().map(|k| k.code()).collect();
    let producers = store::producers_with_products(&state.db, &kinds, MAX_HOME_PRODUCERS)
        .await?
        .into_iter()
        .map(|p| OrgLink {
            id: p.id,
            name: p.name,
            kind: p.kind,
            locality: p.locality,
            products: p.products,
        })
        .collect();
    let (my_catalogues, my_groups) = own_organizations(&state, actor).await?;
    Ok(render_status(
        StatusCode::OK,
        &HomePage {
            c: Chrome::new(&state, &viewer, "/purchasing"),
            producers,
            my_catalogues,
            my_groups,
        },
    ))
}

// ---------- a producer's catalogue ----------

/// One problem of a refused catalogue file, ready to show.
struct ProblemView {
    /// "Line 4 (price in euro)" or the GDXP path.
    place: String,
    message: String,
}

#[derive(Template)]
#[template(path = "purchasing_catalogue.html")]
struct CataloguePage {
    c: Chrome,
    producer: OrganizationRow,
    keeper: bool,
    products: Vec<ProductView>,
    withdrawn: Vec<ProductView>,
    notice: Option<String>,
    problems: Vec<ProblemView>,
    more_problems: i64,
    import_error: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DoneQuery {
    done: Option<String>,
    added: Option<u64>,
    updated: Option<u64>,
    skipped: Option<u64>,
}

/// The notice after a change, from the redirect's query.
fn notice_of(lang: Lang, q: &DoneQuery) -> Option<String> {
    let id = match q.done.as_deref()? {
        "added" => "catalogue_done_added",
        "changed" => "catalogue_done_changed",
        "withdraw" => "catalogue_done_withdrawn",
        "restore" => "catalogue_done_restored",
        "photo" => "catalogue_done_photo",
        "import" => {
            let mut text = lang.t_args(
                "catalogue_done_import",
                &[
                    ("added", q.added.unwrap_or(0).to_string()),
                    ("updated", q.updated.unwrap_or(0).to_string()),
                ],
            );
            if let Some(n) = q.skipped.filter(|&n| n > 0) {
                text.push(' ');
                text.push_str(&lang.t_args("catalogue_done_skipped", &[("count", n.to_string())]));
            }
            return Some(text);
        }
        _ => return None,
    };
    Some(lang.t(id))
}

/// What a refused import shows.
#[derive(Default)]
struct ImportOutcome {
    problems: Vec<ProblemView>,
    more_problems: i64,
    error: Option<String>,
}

async fn catalogue_view(
    state: &AppState,
    viewer: &Viewer,
    producer_id: Uuid,
    notice: Option<String>,
    outcome: ImportOutcome,
    status: StatusCode,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let producer = service::producer(state, producer_id).await?;
    let keeper = service::administers(state, actor, producer.id).await?;
    let rows = store::products_of(&state.db, producer.id, !keeper).await?;
    let photos: HashSet<Uuid> = store::with_photo(&state.db, producer.id)
        .await?
        .into_iter()
        .collect();
    let (active, withdrawn): (Vec<&ProductRow>, Vec<&ProductRow>) =
        rows.iter().partition(|r| r.active);
    let view = |list: Vec<&ProductRow>| {
        list.into_iter()
            .map(|r| product_view(state, viewer.lang, r, &photos))
            .collect()
    };
    Ok(render_status(
        status,
        &CataloguePage {
            c: Chrome::new(
                state,
                viewer,
                &format!("/purchasing/producers/{}/catalogue", producer.id),
            ),
            products: view(active),
            withdrawn: view(withdrawn),
            keeper,
            notice,
            problems: outcome.problems,
            more_problems: outcome.more_problems,
            import_error: outcome.error,
            producer,
        },
    ))
}

async fn catalogue_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let notice = notice_of(viewer.lang, &q);
    catalogue_view(
        &state,
        &viewer,
        id,
        notice,
        ImportOutcome::default(),
        StatusCode::OK,
    )
    .await
}

// ---------- the product form ----------

/// The product form's values as typed (kept to fill the form again after an error).
#[derive(Debug, Clone, Default)]
struct ProductForm {
    sku: String,
    name: String,
    description: String,
    unit: String,
    step: String,
    package_size: String,
    price_euro: String,
    price_credit: String,
    vat_rate: String,
    origin: String,
    certifications: Vec<String>,
    months: u16,
    stock: String,
}

/// The longest value kept from one form field (the domain refuses anything longer anyway).
const MAX_FIELD_CHARS: usize = 4_000;

impl ProductForm {
    /// Reads the submitted pairs; repeated `certification` and `month` boxes are collected.
    fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut f = Self::default();
        for (k, v) in pairs.iter().take(64) {
            let v: String = v.chars().take(MAX_FIELD_CHARS).collect();
            match k.as_str() {
                "sku" => f.sku = v,
                "name" => f.name = v,
                "description" => f.description = v,
                "unit" => f.unit = v,
                "step" => f.step = v,
                "package_size" => f.package_size = v,
                "price_euro" => f.price_euro = v,
                "price_credit" => f.price_credit = v,
                "vat_rate" => f.vat_rate = v,
                "origin" => f.origin = v,
                "stock" => f.stock = v,
                "certification" if f.certifications.len() < 16 => f.certifications.push(v),
                "month" => {
                    if let Ok(m @ 1..=12) = v.trim().parse::<u8>() {
                        f.months |= 1 << (m - 1);
                    }
                }
                _ => {}
            }
        }
        f
    }

    /// The form of a new product: sold by the kilogram, all year.
    fn new_product() -> Self {
        Self {
            unit: Unit::Kilogram.code().to_owned(),
            months: ALL_MONTHS,
            ..Self::default()
        }
    }

    /// The form filled with a stored product, as the viewer would type it.
    fn of_row(lang: Lang, credit: &Currency, r: &ProductRow) -> Self {
        let sep = crate::ledger::pages::decimal_separator(lang);
        let typed = |c: &Currency, m: i64| crate::ledger::pages::input_amount(lang, c, m);
        Self {
            sku: r.sku.clone(),
            name: r.name.clone(),
            description: r.description.clone(),
            unit: r.unit.clone(),
            step: format_quantity(r.step_milli, sep),
            package_size: if r.package_size_milli > r.step_milli {
                format_quantity(r.package_size_milli, sep)
            } else {
                String::new()
            },
            price_euro: r
                .price_euro_minor
                .map(|m| typed(&Currency::euro(), m))
                .unwrap_or_default(),
            price_credit: r
                .price_credit_minor
                .map(|m| typed(credit, m))
                .unwrap_or_default(),
            vat_rate: vat_text(lang, i64::from(r.vat_basis_points)),
            origin: r.origin.clone(),
            certifications: r
                .certifications
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect(),
            months: u16::try_from(r.season_months).unwrap_or(ALL_MONTHS),
            stock: r
                .stock_milli
                .map(|s| format_quantity(s, sep))
                .unwrap_or_default(),
        }
    }

    /// The sku (typed, or made from the name) and the checked product; the first bad field
    /// otherwise.
    fn parse(&self, credit_scale: u8) -> Result<(String, Product), AppError> {
        let bad = |code, field| AppError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code,
            field: Some(field),
        };
        let sku = distretto_domain::text::clean_line(&self.sku);
        if sku.chars().count() > service::MAX_SKU_CHARS {
            return Err(bad("bad_sku", "sku"));
        }
        let quantity = |text: &str, code, field| {
            if text.trim().is_empty() {
                return Ok(None);
            }
            parse_quantity(text).map(Some).map_err(|_| bad(code, field))
        };
        let price = |text: &str, scale, field| match text.trim() {
            "" => Ok(None),
            t => match parse_amount(t, scale) {
                Ok(a) => Ok(Some(a.minor())),
                Err(e) if e.code == "amount_not_positive" => Ok(Some(0)),
                Err(_) => Err(bad("bad_price", field)),
            },
        };
        let vat = match self.vat_rate.trim().trim_end_matches('%').trim() {
            "" => 0,
            t => match parse_amount(t, 2) {
                Ok(a) => u16::try_from(a.minor()).map_err(|_| bad("bad_vat_rate", "vat_rate"))?,
                Err(e) if e.code == "amount_not_positive" => 0,
                Err(_) => return Err(bad("bad_vat_rate", "vat_rate")),
            },
        };
        let draft = ProductDraft {
            name: self.name.clone(),
            description: self.description.clone(),
            unit: self.unit.clone(),
            step_milli: quantity(&self.step, "bad_step", "step")?,
            package_size_milli: quantity(&self.package_size, "bad_package_size", "package_size")?,
            price_euro_minor: price(&self.price_euro, 2, "price_euro")?,
            price_credit_minor: price(&self.price_credit, credit_scale, "price_credit")?,
            vat_basis_points: vat,
            origin: self.origin.clone(),
            certifications: self.certifications.clone(),
            season_months: self.months,
            stock_milli: quantity(&self.stock, "bad_stock", "stock")?,
        };
        let product = draft.check()?;
        let sku = if sku.is_empty() {
            service::sku_from_name(&product.name)
        } else {
            sku
        };
        Ok((sku, product))
    }

    fn has_certification(&self, code: &str) -> bool {
        self.certifications.iter().any(|c| c == code)
    }

    fn has_month(&self, month: &u8) -> bool {
        (1..=12).contains(month) && self.months & (1 << (month - 1)) != 0
    }
}

/// The product being edited, when it is not a new one.
struct EditedProduct {
    id: Uuid,
    active: bool,
    photo: bool,
}

#[derive(Template)]
#[template(path = "purchasing_catalogue_product.html")]
struct ProductPage {
    c: Chrome,
    producer: OrganizationRow,
    product: Option<EditedProduct>,
    form: ProductForm,
    error: Option<AppError>,
    photo_error: Option<AppError>,
    units: Vec<(&'static str, String)>,
    certifications: Vec<(&'static str, String)>,
    months: Vec<(u8, String)>,
    credit_name: String,
    max_photo_kb: i64,
}

impl ProductPage {
    /// Whether the error concerns `field` (for `aria-invalid`).
    fn invalid(&self, field: &str) -> bool {
        self.error.as_ref().and_then(|e| e.field) == Some(field)
    }

    /// Where the form posts.
    fn action(&self) -> String {
        match &self.product {
            Some(p) => format!(
                "/purchasing/producers/{}/catalogue/{}",
                self.producer.id, p.id
            ),
            None => format!("/purchasing/producers/{}/catalogue", self.producer.id),
        }
    }
}

async fn product_view_page(
    state: &AppState,
    viewer: &Viewer,
    producer: OrganizationRow,
    product: Option<EditedProduct>,
    form: ProductForm,
    error: Option<AppError>,
    photo_error: Option<AppError>,
) -> Result<Response, AppError> {
    let lang = viewer.lang;
    let here = match &product {
        Some(p) => format!(
            "/purchasing/producers/{}/catalogue/{}/edit",
            producer.id, p.id
        ),
        None => format!("/purchasing/producers/{}/catalogue/new", producer.id),
    };
    let status = error
        .as_ref()
        .or(photo_error.as_ref())
        .map_or(StatusCode::OK, |e| e.status);
    Ok(render_status(
        status,
        &ProductPage {
            c: Chrome::new(state, viewer, &here),
            producer,
            product,
            form,
            error,
            photo_error,
            units: Unit::ALL
                .iter()
                .map(|u| (u.code(), service::unit_label(lang, u.code())))
                .collect(),
            certifications: Certification::ALL
                .iter()
                .map(|c| (c.code(), certification_label(lang, c.code())))
                .collect(),
            months: (1..=12u8)
                .map(|m| (m, lang.t(&format!("catalogue_month_{m}"))))
                .collect(),
            credit_name: state.config.currency.name.clone(),
            max_photo_kb: i64::try_from(service::MAX_PHOTO_BYTES / 1024).unwrap_or(1024),
        },
    ))
}

/// The product being edited and whether it has a photo.
async fn edited(
    state: &AppState,
    producer: Uuid,
    id: Uuid,
) -> Result<(ProductRow, EditedProduct), AppError> {
    let row = service::product_of(state, producer, id).await?;
    let photo = store::photo(&state.db, row.id).await?.is_some();
    let edited = EditedProduct {
        id: row.id,
        active: row.active,
        photo,
    };
    Ok((row, edited))
}

async fn new_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let producer = service::catalogue_keeper(&state, actor, parse_id(&id)?).await?;
    product_view_page(
        &state,
        &viewer,
        producer,
        None,
        ProductForm::new_product(),
        None,
        None,
    )
    .await
}

async fn add_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let producer = service::catalogue_keeper(&state, actor, parse_id(&id)?).await?;
    let form = ProductForm::from_pairs(&pairs);
    let added = match form.parse(state.config.currency.scale) {
        Ok((sku, product)) => {
            service::add_product(&state, actor, producer.id, &sku, &product).await
        }
        Err(e) => Err(e),
    };
    match added {
        Ok(_) => Ok(Redirect::to(&format!(
            "/purchasing/producers/{}/catalogue?done=added",
            producer.id
        ))
        .into_response()),
        Err(e) if is_refusal(&e) => {
            product_view_page(&state, &viewer, producer, None, form, Some(e), None).await
        }
        Err(e) => Err(e),
    }
}

/// Whether an error is the user's input refused (shown on the form again), not a fault.
fn is_refusal(e: &AppError) -> bool {
    e.status == StatusCode::UNPROCESSABLE_ENTITY || e.status == StatusCode::CONFLICT
}

async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, product)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let producer = service::catalogue_keeper(&state, actor, parse_id(&id)?).await?;
    let (row, edited) = edited(&state, producer.id, parse_id(&product)?).await?;
    let form = ProductForm::of_row(viewer.lang, &state.config.currency, &row);
    product_view_page(&state, &viewer, producer, Some(edited), form, None, None).await
}

async fn edit_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, product)): Path<(String, String)>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let producer = service::catalogue_keeper(&state, actor, parse_id(&id)?).await?;
    let (_, edited) = edited(&state, producer.id, parse_id(&product)?).await?;
    let form = ProductForm::from_pairs(&pairs);
    let changed = match form.parse(state.config.currency.scale) {
        Ok((sku, p)) => {
            service::change_product(&state, actor, producer.id, edited.id, &sku, &p).await
        }
        Err(e) => Err(e),
    };
    match changed {
        Ok(()) => Ok(Redirect::to(&format!(
            "/purchasing/producers/{}/catalogue?done=changed",
            producer.id
        ))
        .into_response()),
        Err(e) if is_refusal(&e) => {
            product_view_page(&state, &viewer, producer, Some(edited), form, Some(e), None).await
        }
        Err(e) => Err(e),
    }
}

async fn active_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, product, action)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let active = match action.as_str() {
        "withdraw" => false,
        "restore" => true,
        _ => return Err(AppError::not_found()),
    };
    let producer = parse_id(&id)?;
    service::set_product_active(&state, actor, producer, parse_id(&product)?, active).await?;
    Ok(Redirect::to(&format!(
        "/purchasing/producers/{producer}/catalogue?done={action}"
    ))
    .into_response())
}

// ---------- uploads: a product's photo, a catalogue file ----------

/// The file of a multipart form.
enum Upload {
    File(Vec<u8>),
    TooLarge,
    Missing,
}

/// Reads the file field `name` of a multipart form, keeping at most `max` bytes.
async fn upload(mut form: Multipart, name: &str, max: usize) -> Result<Upload, AppError> {
    let broken = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
        } else {
            AppError::bad_request("invalid_form")
        }
    };
    for _ in 0..MAX_FORM_PARTS {
        let Some(mut field) = form.next_field().await.map_err(broken)? else {
            break;
        };
        if field.name() != Some(name) {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(broken)? {
            if bytes.len() + chunk.len() > max {
                return Ok(Upload::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(if bytes.is_empty() {
            Upload::Missing
        } else {
            Upload::File(bytes)
        });
    }
    Ok(Upload::Missing)
}

async fn photo_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, product)): Path<(String, String)>,
    form: Multipart,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let producer = service::catalogue_keeper(&state, actor, parse_id(&id)?).await?;
    let (row, edited) = edited(&state, producer.id, parse_id(&product)?).await?;
    let refused = |code| AppError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code,
        field: Some("photo"),
    };
    let stored = match upload(form, "photo", service::MAX_PHOTO_BYTES).await? {
        Upload::File(bytes) => {
            service::set_product_photo(&state, actor, producer.id, row.id, &bytes).await
        }
        Upload::TooLarge => Err(refused("catalogue_photo_too_large")),
        Upload::Missing => Err(refused("catalogue_photo_missing")),
    };
    match stored {
        Ok(()) => Ok(Redirect::to(&format!(
            "/purchasing/producers/{}/catalogue?done=photo",
            producer.id
        ))
        .into_response()),
        Err(e) if is_refusal(&e) => {
            let form = ProductForm::of_row(viewer.lang, &state.config.currency, &row);
            product_view_page(&state, &viewer, producer, Some(edited), form, None, Some(e)).await
        }
        Err(e) => Err(e),
    }
}

/// One problem of a catalogue file, before translation.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Problem {
    /// The CSV line, if the file is CSV.
    line: Option<usize>,
    /// The CSV column, or the GDXP path (empty for the whole file).
    place: String,
    code: &'static str,
}

impl Problem {
    fn whole_file(code: &'static str) -> Vec<Self> {
        vec![Self {
            line: None,
            place: String::new(),
            code,
        }]
    }

    fn view(&self, lang: Lang) -> ProblemView {
        let place = match self.line {
            Some(line) => lang.t_args(
                "catalogue_problem_line",
                &[
                    ("line", line.to_string()),
                    ("field", lang.t(&format!("catalogue_field_{}", self.place))),
                ],
            ),
            None if self.place.is_empty() => lang.t("catalogue_problem_file"),
            None => self.place.clone(),
        };
        ProblemView {
            place,
            message: lang.t(self.code),
        }
    }
}

/// A catalogue file read: products with their skus, and products GDXP listed as not orderable.
#[derive(Debug)]
struct CatalogueFile {
    products: Vec<(String, Product)>,
    skipped: usize,
    /// GDXP files carry no credit prices: replaced products keep theirs.
    gdxp: bool,
}

/// Reads a catalogue file: GDXP when it is JSON, CSV otherwise. All or nothing.
fn read_catalogue(bytes: &[u8], credit_scale: u8) -> Result<CatalogueFile, Vec<Problem>> {
    let text = std::str::from_utf8(bytes).map_err(|_| Problem::whole_file("catalogue_not_text"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut file = if text.trim_start().starts_with(['{', '[']) {
        read_gdxp(text)?
    } else {
        let products = catalogue_csv::parse(text, credit_scale).map_err(|errors| {
            errors
                .into_iter()
                .map(|e| Problem {
                    line: Some(e.line),
                    place: e.field.to_owned(),
                    code: e.code,
                })
                .collect::<Vec<_>>()
        })?;
        CatalogueFile {
            products,
            skipped: 0,
            gdxp: false,
        }
    };
    if file.products.is_empty() {
        return Err(Problem::whole_file("catalogue_no_products"));
    }
    fill_skus(&mut file.products);
    Ok(file)
}

/// Reads a GDXP file holding one supplier.
fn read_gdxp(text: &str) -> Result<CatalogueFile, Vec<Problem>> {
    let suppliers = gdxp::parse(text).map_err(|e| {
        e.errors
            .into_iter()
            .map(|e| Problem {
                line: None,
                place: e.path,
                code: e.code,
            })
            .collect::<Vec<_>>()
    })?;
    let [supplier] = <[gdxp::GdxpSupplier; 1]>::try_from(suppliers)
        .map_err(|_| Problem::whole_file("catalogue_one_supplier"))?;
    let mut products = Vec::with_capacity(supplier.products.len());
    for (i, (sku, draft)) in supplier.skus.into_iter().zip(supplier.products).enumerate() {
        let product = draft.check().map_err(|e| {
            vec![Problem {
                line: None,
                place: format!("blocks[0].supplier.products[{i}]"),
                code: e.code,
            }]
        })?;
        products.push((sku, product));
    }
    Ok(CatalogueFile {
        products,
        skipped: supplier.skipped_inactive,
        gdxp: true,
    })
}

/// Gives products without a sku one made from their name, unique in the file.
fn fill_skus(products: &mut [(String, Product)]) {
    let mut taken: HashSet<String> = products
        .iter()
        .filter(|(s, _)| !s.is_empty())
        .map(|(s, _)| s.clone())
        .collect();
    for (sku, product) in products.iter_mut().filter(|(s, _)| s.is_empty()) {
        let base = service::sku_from_name(&product.name);
        let mut candidate = base.clone();
        // A file holds at most MAX_PRODUCTS products, so a free suffix is found within them.
        for n in 2..=distretto_domain::purchasing::catalogue::MAX_PRODUCTS + 2 {
            if !taken.contains(&candidate) {
                break;
            }
            candidate = format!("{base}-{n}");
        }
        taken.insert(candidate.clone());
        *sku = candidate;
    }
}

/// The page of a refused import: the catalogue with every problem listed.
async fn import_refused(
    state: &AppState,
    viewer: &Viewer,
    producer: Uuid,
    problems: &[Problem],
) -> Result<Response, AppError> {
    let outcome = ImportOutcome {
        problems: problems
            .iter()
            .take(MAX_SHOWN_PROBLEMS)
            .map(|p| p.view(viewer.lang))
            .collect(),
        more_problems: i64::try_from(problems.len().saturating_sub(MAX_SHOWN_PROBLEMS))
            .unwrap_or(i64::MAX),
        error: Some(viewer.lang.t("catalogue_import_refused")),
    };
    catalogue_view(
        state,
        viewer,
        producer,
        None,
        outcome,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

async fn import_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: Multipart,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let producer = service::catalogue_keeper(&state, actor, parse_id(&id)?).await?;
    let bytes = match upload(form, "file", MAX_IMPORT_BYTES).await? {
        Upload::File(bytes) => bytes,
        Upload::TooLarge => {
            return import_refused(
                &state,
                &viewer,
                producer.id,
                &Problem::whole_file("catalogue_file_too_large"),
            )
            .await;
        }
        Upload::Missing => {
            return import_refused(
                &state,
                &viewer,
                producer.id,
                &Problem::whole_file("catalogue_file_missing"),
            )
            .await;
        }
    };
    let file = match read_catalogue(&bytes, state.config.currency.scale) {
        Ok(file) => file,
        Err(problems) => return import_refused(&state, &viewer, producer.id, &problems).await,
    };
    match service::import_products(&state, actor, producer.id, &file.products, file.gdxp).await {
        Ok(done) => Ok(Redirect::to(&format!(
            "/purchasing/producers/{}/catalogue?done=import&added={}&updated={}&skipped={}",
            producer.id, done.added, done.updated, file.skipped
        ))
        .into_response()),
        Err(e) if is_refusal(&e) => {
            import_refused(&state, &viewer, producer.id, &Problem::whole_file(e.code)).await
        }
        Err(e) => Err(e),
    }
}

// ---------- export ----------

/// The active products of a producer's catalogue, checked, for export.
async fn export_rows(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<(OrganizationRow, Vec<(String, Product)>), AppError> {
    viewer.actor()?;
    let producer = service::producer(state, parse_id(id)?).await?;
    let rows = store::products_of(&state.db, producer.id, true).await?;
    let products = rows
        .iter()
        .filter_map(|r| match service::product_of_row(r) {
            Some(p) => Some((r.sku.clone(), p)),
            None => {
                tracing::warn!(product = %r.id, "stored product fails the catalogue rules; left out of the export");
                None
            }
        })
        .collect();
    Ok((producer, products))
}

/// A download: content type, file name, body.
fn download(content_type: &str, file: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response()
}

async fn export_gdxp(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (org, products) = export_rows(&state, &viewer, &id).await?;
    let supplier = gdxp::SupplierInfo {
        name: org.name.clone(),
        street: org.address.clone(),
        locality: org.locality.clone(),
        zip_code: org.postcode.clone(),
        email: org.contact_email.clone().unwrap_or_default(),
        phone: org.phone.clone().unwrap_or_default(),
        website: org.website.clone().unwrap_or_default(),
        ..gdxp::SupplierInfo::default()
    };
    let body = gdxp::write(&supplier, &products, time::OffsetDateTime::now_utc().date());
    let file = format!("catalogue-{}.gdxp.json", service::sku_from_name(&org.name));
    Ok(download("application/json; charset=utf-8", &file, body))
}

async fn export_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (org, products) = export_rows(&state, &viewer, &id).await?;
    let body = catalogue_csv::write(&products, state.config.currency.scale);
    let file = format!("catalogue-{}.csv", service::sku_from_name(&org.name));
    Ok(download("text/csv; charset=utf-8", &file, body))
}

/// A product's photo: to anyone signed in while the product is in the catalogue, to its
/// keepers always.
async fn photo(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let row = store::product(&state.db, parse_id(&id)?).await?;
    if !row.active && !service::administers(&state, actor, row.producer_id).await? {
        return Err(AppError::not_found());
    }
    let (kind, bytes) = store::photo(&state.db, row.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    // Only the kinds an upload accepts are served (an imported district file could say more).
    let kind = match kind.as_str() {
        "image/jpeg" | "image/png" | "image/webp" => kind,
        _ => return Err(AppError::not_found()),
    };
    Ok((
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "private, max-age=300".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

// ---------- a purchasing group's pickup points ----------

/// A pickup point as the page shows it.
struct PickupView {
    id: Uuid,
    name: String,
    address: String,
    coordinates: Option<String>,
}

fn pickup_view(r: &PickupRow) -> PickupView {
    PickupView {
        id: r.id,
        name: r.name.clone(),
        address: r.address.clone(),
        coordinates: match (r.lat, r.lon) {
            (Some(lat), Some(lon)) => Some(format!("{lat:.6}, {lon:.6}")),
            _ => None,
        },
    }
}

/// The pickup form's values.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct PickupForm {
    name: String,
    address: String,
    coordinates: String,
}

#[derive(Template)]
#[template(path = "purchasing_pickups.html")]
struct PickupsPage {
    c: Chrome,
    group: OrganizationRow,
    keeper: bool,
    pickups: Vec<PickupView>,
    form: PickupForm,
    error: Option<AppError>,
    notice: Option<&'static str>,
}

impl PickupsPage {
    fn invalid(&self, field: &str) -> bool {
        self.error.as_ref().and_then(|e| e.field) == Some(field)
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct PickupDone {
    done: Option<String>,
}

async fn pickups_view(
    state: &AppState,
    viewer: &Viewer,
    group_id: Uuid,
    form: PickupForm,
    error: Option<AppError>,
    notice: Option<&'static str>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let group = service::group(state, group_id).await?;
    let keeper = service::administers(state, actor, group.id).await?;
    let pickups = store::pickups_of(&state.db, group.id)
        .await?
        .iter()
        .map(pickup_view)
        .collect();
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    Ok(render_status(
        status,
        &PickupsPage {
            c: Chrome::new(
                state,
                viewer,
                &format!("/purchasing/groups/{}/pickups", group.id),
            ),
            group,
            keeper,
            pickups,
            form,
            error,
            notice,
        },
    ))
}

async fn pickups_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<PickupDone>,
) -> Result<Response, AppError> {
    let notice = match q.done.as_deref() {
        Some("added") => Some("pickup_done_added"),
        Some("withdrawn") => Some("pickup_done_withdrawn"),
        _ => None,
    };
    pickups_view(
        &state,
        &viewer,
        parse_id(&id)?,
        PickupForm::default(),
        None,
        notice,
    )
    .await
}

async fn pickup_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    PageForm(form): PageForm<PickupForm>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let group = service::group_keeper(&state, actor, parse_id(&id)?).await?;
    let input = PickupInput {
        name: form.name.clone(),
        address: form.address.clone(),
        coordinates: form.coordinates.clone(),
    };
    match service::add_pickup(&state, actor, group.id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/purchasing/groups/{}/pickups?done=added",
            group.id
        ))
        .into_response()),
        Err(e) if is_refusal(&e) => {
            pickups_view(&state, &viewer, group.id, form, Some(e), None).await
        }
        Err(e) => Err(e),
    }
}

async fn pickup_withdraw(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, pickup)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let actor = viewer.actor()?;
    let group = parse_id(&id)?;
    service::withdraw_pickup(&state, actor, group, parse_id(&pickup)?).await?;
    Ok(Redirect::to(&format!(
        "/purchasing/groups/{group}/pickups?done=withdrawn"
    ))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "sku,name,description,unit,step,package_size,price_euro,price_credit,vat_rate,origin,certifications,season,stock";

    #[test]
    fn the_form_reads_as_people_type() {
        let pairs: Vec<(String, String)> = [
            ("name", "Pecorino"),
            ("unit", "kg"),
            ("step", "0,25"),
            ("package_size", "2"),
            ("price_euro", "18,50"),
            ("vat_rate", "4 %"),
            ("certification", "organic"),
            ("month", "3"),
            ("month", "4"),
            ("month", "13"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let form = ProductForm::from_pairs(&pairs);
        assert_eq!(form.months, 0b1100);
        let (sku, p) = form.parse(2).unwrap();
        assert_eq!(sku, "pecorino");
        assert_eq!(p.step_milli, 250);
        assert_eq!(p.package_size_milli, 2_000);
        assert_eq!(p.price_euro_minor, Some(1_850));
        assert_eq!(p.vat_basis_points, 400);
        assert_eq!(p.season_months, 0b1100);
    }

    #[test]
    fn bad_form_values_name_their_field() {
        let form = |f: ProductForm| f.parse(2).unwrap_err();
        let base = ProductForm {
            name: "Miele".into(),
            unit: "kg".into(),
            price_euro: "9".into(),
            ..ProductForm::default()
        };
        let e = form(ProductForm {
            step: "abc".into(),
            ..base.clone()
        });
        assert_eq!((e.code, e.field), ("bad_step", Some("step")));
        let e = form(ProductForm {
            price_euro: "9,999".into(),
            ..base.clone()
        });
        assert_eq!((e.code, e.field), ("bad_price", Some("price_euro")));
        let e = form(ProductForm {
            price_euro: String::new(),
            ..base.clone()
        });
        assert_eq!(e.code, "price_missing");
        let e = form(ProductForm {
            vat_rate: "x".into(),
            ..base
        });
        assert_eq!(e.code, "bad_vat_rate");
    }

    #[test]
    fn csv_problems_keep_their_lines_and_json_must_be_gdxp() {
        let text = format!(
            "{HEAD}\nA1,Mele,,kg,,,2.50,,4,,,,\nA2,,,kg,,,1,,,,,,\nA3,Pere,,ton,,,1,,,,,,\n"
        );
        let problems = read_catalogue(text.as_bytes(), 2).unwrap_err();
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].line, Some(3));
        assert_eq!(problems[0].code, "bad_product_name");
        assert_eq!(problems[1].line, Some(4));
        assert_eq!(problems[1].code, "bad_unit");
        let problems = read_catalogue(br#"{"hello": "world"}"#, 2).unwrap_err();
        assert_eq!(problems[0].code, "not_gdxp");
        let problems = read_catalogue(&[0xFF, 0xFE, 0x00], 2).unwrap_err();
        assert_eq!(problems[0].code, "catalogue_not_text");
    }

    #[test]
    fn missing_skus_are_made_unique() {
        let text = format!(
            "{HEAD}\n,Mele,,kg,,,2.50,,,,,,\n,Mele,,kg,,,2.60,,,,,,\nmele,Mele rosse,,kg,,,3,,,,,,\n"
        );
        let file = read_catalogue(text.as_bytes(), 2).unwrap();
        let skus: Vec<&str> = file.products.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(skus, ["mele-2", "mele-3", "mele"]);
    }
}
