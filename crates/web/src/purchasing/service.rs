//! What every purchasing page shares: who may keep a producer's catalogue or run a group's
//! cycles, and how quantities and prices are shown.

use crate::auth::viewer::Actor;
use crate::i18n::Lang;
use crate::{AppError, AppState};
use distretto_domain::directory::OrganizationKind;
use distretto_store::directory::OrganizationRow;
use uuid::Uuid;

/// Organisation kinds that sell through catalogues (farms, producers' and workers' coops, and
/// social enterprises such as bakeries).
pub const PRODUCER_KINDS: [OrganizationKind; 4] = [
    OrganizationKind::Farm,
    OrganizationKind::ProducerCoop,
    OrganizationKind::WorkerCoop,
    OrganizationKind::SocialEnterprise,
];

/// Organisation kinds that run order cycles (GAS, AMAP, and food coops).
pub const GROUP_KINDS: [OrganizationKind; 2] = [
    OrganizationKind::PurchasingGroup,
    OrganizationKind::ConsumerCoop,
];

/// The organisation, if it is active and of a kind that keeps a catalogue.
pub async fn producer(state: &AppState, id: Uuid) -> Result<OrganizationRow, AppError> {
    let org = distretto_store::directory::get(&state.db, id)
        .await
        .map_err(|_| AppError::not_found())?;
    let kind = OrganizationKind::parse(&org.kind);
    if org.status != "active" || !kind.is_some_and(|k| PRODUCER_KINDS.contains(&k)) {
        return Err(AppError::not_found());
    }
    Ok(org)
}

/// The organisation, if it is an active purchasing group (or food coop).
pub async fn group(state: &AppState, id: Uuid) -> Result<OrganizationRow, AppError> {
    let org = distretto_store::directory::get(&state.db, id)
        .await
        .map_err(|_| AppError::not_found())?;
    let kind = OrganizationKind::parse(&org.kind);
    if org.status != "active" || !kind.is_some_and(|k| GROUP_KINDS.contains(&k)) {
        return Err(AppError::not_found());
    }
    Ok(org)
}

/// Whether `actor` administers the organisation (its admins, and district coordinators).
pub async fn administers(state: &AppState, actor: &Actor, org: Uuid) -> Result<bool, AppError> {
    crate::directory::service::may_administer(state, actor, org).await
}

/// 403 unless `actor` administers the organisation.
pub async fn require_admin(state: &AppState, actor: &Actor, org: Uuid) -> Result<(), AppError> {
    if administers(state, actor, org).await? {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

/// A quantity in thousandths of a unit as the viewer reads it ("1,5").
pub fn quantity(lang: Lang, quantity_milli: i64) -> String {
    distretto_domain::purchasing::catalogue::format_quantity(
        quantity_milli,
        crate::ledger::pages::decimal_separator(lang),
    )
}

/// The translated short name of a unit code ("kg", "pz").
pub fn unit_label(lang: Lang, code: &str) -> String {
    match code {
        "kg" => lang.t("unit_kg"),
        "piece" => lang.t("unit_piece"),
        "l" => lang.t("unit_l"),
        "box" => lang.t("unit_box"),
        other => other.to_owned(),
    }
}

// ---------- catalogues: only the producer's admins (or coordinators) change them ----------

use distretto_domain::purchasing::catalogue::MAX_PRODUCTS;
use distretto_domain::purchasing::{Product, ProductDraft};
use distretto_store::purchasing::catalogue::{self as catalogue_store, PickupRow, ProductRow};

/// The largest product photo accepted, in bytes.
pub const MAX_PHOTO_BYTES: usize = 1024 * 1024;
/// The longest sku, in characters (as catalogue files allow).
pub const MAX_SKU_CHARS: usize = distretto_domain::purchasing::catalogue_csv::MAX_SKU_CHARS;

/// A 422 about one field.
fn refused(code: &'static str, field: &'static str) -> AppError {
    AppError {
        status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        code,
        field: Some(field),
    }
}

/// The producer if `actor` keeps its catalogue: 404 for an unknown producer, 403 otherwise.
pub async fn catalogue_keeper(
    state: &AppState,
    actor: &Actor,
    producer_id: Uuid,
) -> Result<OrganizationRow, AppError> {
    let org = producer(state, producer_id).await?;
    require_admin(state, actor, org.id).await?;
    Ok(org)
}

/// A product of `producer`'s catalogue; 404 when it belongs to another.
pub async fn product_of(
    state: &AppState,
    producer_id: Uuid,
    id: Uuid,
) -> Result<ProductRow, AppError> {
    let row = catalogue_store::product(&state.db, id).await?;
    if row.producer_id != producer_id {
        return Err(AppError::not_found());
    }
    Ok(row)
}

/// The stored row of a checked product.
pub fn product_row(producer_id: Uuid, id: Uuid, sku: &str, p: &Product) -> ProductRow {
    let now = distretto_store::now();
    ProductRow {
        id,
        producer_id,
        sku: sku.to_owned(),
        name: p.name.clone(),
        description: p.description.clone(),
        unit: p.unit.code().to_owned(),
        step_milli: p.step_milli,
        package_size_milli: p.package_size_milli,
        price_euro_minor: p.price_euro_minor,
        price_credit_minor: p.price_credit_minor,
        vat_basis_points: i32::from(p.vat_basis_points),
        origin: p.origin.clone(),
        certifications: p
            .certifications
            .iter()
            .map(|c| c.code())
            .collect::<Vec<_>>()
            .join(","),
        season_months: i32::from(p.season_months),
        stock_milli: p.stock_milli,
        active: true,
        created_at: now,
        updated_at: now,
    }
}

/// The checked product of a stored row (`None` if the row no longer passes the rules).
pub fn product_of_row(r: &ProductRow) -> Option<Product> {
    ProductDraft {
        name: r.name.clone(),
        description: r.description.clone(),
        unit: r.unit.clone(),
        package_size_milli: Some(r.package_size_milli),
        step_milli: Some(r.step_milli),
        price_euro_minor: r.price_euro_minor,
        price_credit_minor: r.price_credit_minor,
        vat_basis_points: u16::try_from(r.vat_basis_points).ok()?,
        origin: r.origin.clone(),
        certifications: r
            .certifications
            .split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
        season_months: u16::try_from(r.season_months).ok()?,
        stock_milli: r.stock_milli,
    }
    .check()
    .ok()
}

/// A sku made from a product's name ("Pomodori San Marzano" → `pomodori-san-marzano`), for
/// products typed or imported without one.
pub fn sku_from_name(name: &str) -> String {
    let folded = distretto_domain::text::fold(name);
    let mut sku = String::with_capacity(folded.len());
    for ch in folded.chars() {
        if ch.is_ascii_alphanumeric() {
            sku.push(ch);
        } else if !sku.ends_with('-') && !sku.is_empty() {
            sku.push('-');
        }
        if sku.len() >= 48 {
            break;
        }
    }
    let sku = sku.trim_end_matches('-');
    if sku.is_empty() {
        "product".to_owned()
    } else {
        sku.to_owned()
    }
}

/// Refuses a new product when the catalogue is full.
async fn room_for(state: &AppState, producer_id: Uuid, more: usize) -> Result<(), AppError> {
    let have = catalogue_store::product_count(&state.db, producer_id).await?;
    let have = usize::try_from(have).unwrap_or(usize::MAX);
    if have.saturating_add(more) > MAX_PRODUCTS {
        return Err(AppError::conflict("catalogue_full"));
    }
    Ok(())
}

/// Adds a product to the catalogue; its id. A taken sku is refused on the sku field.
pub async fn add_product(
    state: &AppState,
    actor: &Actor,
    producer_id: Uuid,
    sku: &str,
    product: &Product,
) -> Result<Uuid, AppError> {
    let org = catalogue_keeper(state, actor, producer_id).await?;
    room_for(state, org.id, 1).await?;
    let row = product_row(org.id, Uuid::now_v7(), sku, product);
    match catalogue_store::insert_products(&state.db, std::slice::from_ref(&row)).await {
        Ok(()) => Ok(row.id),
        Err(distretto_store::StoreError::Conflict) => Err(refused("catalogue_sku_taken", "sku")),
        Err(e) => Err(e.into()),
    }
}

/// Replaces a product's fields (its id, photo, active state and orders are kept).
pub async fn change_product(
    state: &AppState,
    actor: &Actor,
    producer_id: Uuid,
    id: Uuid,
    sku: &str,
    product: &Product,
) -> Result<(), AppError> {
    let org = catalogue_keeper(state, actor, producer_id).await?;
    let old = product_of(state, org.id, id).await?;
    let row = ProductRow {
        active: old.active,
        created_at: old.created_at,
        ..product_row(org.id, id, sku, product)
    };
    match catalogue_store::update_product(&state.db, &row).await {
        Ok(()) => Ok(()),
        Err(distretto_store::StoreError::Conflict) => Err(refused("catalogue_sku_taken", "sku")),
        Err(e) => Err(e.into()),
    }
}

/// Withdraws a product from the catalogue (`active = false`) or puts it back.
pub async fn set_product_active(
    state: &AppState,
    actor: &Actor,
    producer_id: Uuid,
    id: Uuid,
    active: bool,
) -> Result<(), AppError> {
    let org = catalogue_keeper(state, actor, producer_id).await?;
    catalogue_store::set_product_active(&state.db, org.id, id, active).await?;
    Ok(())
}

/// The content type of a photo, told by its first bytes: JPEG, PNG or WebP only.
pub fn photo_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.get(0..4) == Some(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        Some("image/webp")
    } else {
        None
    }
}

/// Stores a product's photo after checking its size and kind.
pub async fn set_product_photo(
    state: &AppState,
    actor: &Actor,
    producer_id: Uuid,
    id: Uuid,
    bytes: &[u8],
) -> Result<(), AppError> {
    let org = catalogue_keeper(state, actor, producer_id).await?;
    let row = product_of(state, org.id, id).await?;
    if bytes.is_empty() {
        return Err(refused("catalogue_photo_missing", "photo"));
    }
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(refused("catalogue_photo_too_large", "photo"));
    }
    let kind = photo_type(bytes).ok_or(refused("catalogue_photo_type", "photo"))?;
    catalogue_store::set_photo(&state.db, row.id, kind, bytes).await?;
    Ok(())
}

/// What an import did: products added, updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    /// New products.
    pub added: u64,
    /// Products already in the catalogue (same sku), replaced.
    pub updated: u64,
}

/// Imports checked products (sku, product) into the catalogue, all or nothing: a product
/// whose sku is already there is replaced, the others are added. With `keep_credit_prices`
/// (files that cannot carry them, such as GDXP), a replaced product keeps its credit price.
pub async fn import_products(
    state: &AppState,
    actor: &Actor,
    producer_id: Uuid,
    products: &[(String, Product)],
    keep_credit_prices: bool,
) -> Result<Imported, AppError> {
    let org = catalogue_keeper(state, actor, producer_id).await?;
    let existing = catalogue_store::products_of(&state.db, org.id, false).await?;
    let by_sku: std::collections::HashMap<&str, &ProductRow> =
        existing.iter().map(|r| (r.sku.as_str(), r)).collect();
    let new = products
        .iter()
        .filter(|(sku, _)| !by_sku.contains_key(sku.as_str()))
        .count();
    room_for(state, org.id, new).await?;
    let rows: Vec<ProductRow> = products
        .iter()
        .map(|(sku, p)| {
            let mut row = product_row(org.id, Uuid::now_v7(), sku, p);
            if keep_credit_prices
                && row.price_credit_minor.is_none()
                && let Some(old) = by_sku.get(sku.as_str())
            {
                row.price_credit_minor = old.price_credit_minor;
            }
            row
        })
        .collect();
    let (added, updated) = catalogue_store::import_products(&state.db, org.id, &rows).await?;
    Ok(Imported { added, updated })
}

// ---------- pickup points: only the group's admins (or coordinators) change them ----------

/// The longest pickup point name, in characters.
pub const MAX_PICKUP_NAME_CHARS: usize = 120;
/// The longest pickup point address, in characters.
pub const MAX_PICKUP_ADDRESS_CHARS: usize = 300;

/// A pickup point as typed.
#[derive(Debug, Clone, Default)]
pub struct PickupInput {
    /// Its name ("Bottega del quartiere").
    pub name: String,
    /// Street address.
    pub address: String,
    /// Coordinates as pasted from a map ("45.07, 7.68"), optional.
    pub coordinates: String,
}

/// The group if `actor` runs it: 404 for an unknown group, 403 otherwise.
pub async fn group_keeper(
    state: &AppState,
    actor: &Actor,
    group_id: Uuid,
) -> Result<OrganizationRow, AppError> {
    let org = group(state, group_id).await?;
    require_admin(state, actor, org.id).await?;
    Ok(org)
}

/// The stored row of a typed pickup point, or the first bad field.
pub fn pickup_row(group_id: Uuid, input: &PickupInput) -> Result<PickupRow, AppError> {
    let name = distretto_domain::text::clean_line(&input.name);
    if name.is_empty() || name.chars().count() > MAX_PICKUP_NAME_CHARS {
        return Err(refused("pickup_bad_name", "name"));
    }
    let address = distretto_domain::text::clean_line(&input.address);
    if address.is_empty() || address.chars().count() > MAX_PICKUP_ADDRESS_CHARS {
        return Err(refused("pickup_bad_address", "address"));
    }
    let (lat, lon) = if input.coordinates.trim().is_empty() {
        (None, None)
    } else {
        let at = distretto_domain::purchasing::geo::LatLon::parse(&input.coordinates)?;
        let degrees = |micro: i32| {
            f64::from(micro) / f64::from(distretto_domain::purchasing::geo::MICRO_PER_DEGREE)
        };
        (Some(degrees(at.lat_micro())), Some(degrees(at.lon_micro())))
    };
    Ok(PickupRow {
        id: Uuid::now_v7(),
        group_id,
        name,
        address,
        lat,
        lon,
        active: true,
        created_at: distretto_store::now(),
    })
}

/// Adds a pickup point to the group; its id.
pub async fn add_pickup(
    state: &AppState,
    actor: &Actor,
    group_id: Uuid,
    input: &PickupInput,
) -> Result<Uuid, AppError> {
    let org = group_keeper(state, actor, group_id).await?;
    let pickups = catalogue_store::pickups_of(&state.db, org.id).await?;
    if pickups.len() >= usize::try_from(catalogue_store::MAX_PICKUPS).unwrap_or(usize::MAX) {
        return Err(AppError::conflict("pickup_too_many"));
    }
    let row = pickup_row(org.id, input)?;
    catalogue_store::insert_pickup(&state.db, &row).await?;
    Ok(row.id)
}

/// Withdraws one of the group's pickup points.
pub async fn withdraw_pickup(
    state: &AppState,
    actor: &Actor,
    group_id: Uuid,
    id: Uuid,
) -> Result<(), AppError> {
    let org = group_keeper(state, actor, group_id).await?;
    catalogue_store::withdraw_pickup(&state.db, org.id, id).await?;
    Ok(())
}

#[cfg(test)]
mod catalogue_tests {
    use super::*;

    #[test]
    fn photos_are_told_by_their_first_bytes() {
        assert_eq!(photo_type(&[0xFF, 0xD8, 0xFF, 0xE0, 0]), Some("image/jpeg"));
        assert_eq!(photo_type(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(photo_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(photo_type(b"GIF89a"), None);
        assert_eq!(photo_type(b"<svg xmlns="), None);
        assert_eq!(photo_type(b"RIFF"), None);
    }

    #[test]
    fn skus_come_from_names() {
        assert_eq!(
            sku_from_name("Pomodori  San Marzano!"),
            "pomodori-san-marzano"
        );
        assert_eq!(sku_from_name("Crème fraîche"), "creme-fraiche");
        assert_eq!(sku_from_name("???"), "product");
        assert!(sku_from_name(&"a".repeat(300)).len() <= 48);
    }

    #[test]
    fn pickups_need_a_name_an_address_and_good_coordinates() {
        let input = |name: &str, address: &str, coordinates: &str| PickupInput {
            name: name.into(),
            address: address.into(),
            coordinates: coordinates.into(),
        };
        let row = pickup_row(Uuid::nil(), &input("Bottega", "Via Roma 1", "45.07, 7.68")).unwrap();
        assert_eq!(row.lat, Some(45.07));
        assert_eq!(row.lon, Some(7.68));
        let code = |i| pickup_row(Uuid::nil(), &i).unwrap_err().code;
        assert_eq!(code(input(" ", "Via Roma 1", "")), "pickup_bad_name");
        assert_eq!(code(input("Bottega", "", "")), "pickup_bad_address");
        assert_eq!(
            code(input("Bottega", "Via Roma", "95, 7")),
            "bad_coordinates"
        );
    }
}
