//! Solidarity purchasing: catalogues and pickup points ([`catalogue`]), order cycles, orders,
//! the close and delivery ([`cycles`]), and seasonal subscriptions ([`subscriptions`]).
//! Settling a cycle on the ledger runs in the ledger writer's transaction
//! ([`crate::ledger::Effect::Purchase`]).

pub mod catalogue;
pub mod cycles;
pub mod subscriptions;

use crate::export::read_all;
use crate::{Db, Result, StoreError, with_pool};
use catalogue::{PickupRow, ProductRow};
use cycles::{
    CyclePickupRow, CycleProducerRow, CycleProductRow, CycleRow, DeliveryRow, LineRow, OrderRow,
    SettlementRow,
};
use subscriptions::{InstalmentRow, PlanRow, ShareDeliveryRow, SubscriptionRow};

/// A product's photo in the export document, its bytes in base64.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PhotoRow {
    pub product_id: uuid::Uuid,
    pub content_type: String,
    pub base64: String,
}

/// Everything purchasing keeps, for the export document (version 4).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurchasingData {
    #[serde(default)]
    pub products: Vec<ProductRow>,
    #[serde(default)]
    pub product_photos: Vec<PhotoRow>,
    #[serde(default)]
    pub pickup_points: Vec<PickupRow>,
    #[serde(default)]
    pub order_cycles: Vec<CycleRow>,
    #[serde(default)]
    pub cycle_producers: Vec<CycleProducerRow>,
    #[serde(default)]
    pub cycle_products: Vec<CycleProductRow>,
    #[serde(default)]
    pub cycle_pickups: Vec<CyclePickupRow>,
    #[serde(default)]
    pub orders: Vec<OrderRow>,
    #[serde(default)]
    pub order_lines: Vec<LineRow>,
    #[serde(default)]
    pub deliveries: Vec<DeliveryRow>,
    #[serde(default)]
    pub cycle_settlements: Vec<SettlementRow>,
    #[serde(default)]
    pub csa_plans: Vec<PlanRow>,
    #[serde(default)]
    pub csa_subscriptions: Vec<SubscriptionRow>,
    #[serde(default)]
    pub csa_deliveries: Vec<ShareDeliveryRow>,
    #[serde(default)]
    pub csa_instalments: Vec<InstalmentRow>,
}

/// Reads every purchasing table in a stable order.
pub async fn export(db: &Db) -> Result<PurchasingData> {
    use base64::Engine as _;
    let photos: Vec<(uuid::Uuid, String, Vec<u8>)> = read_all(
        db,
        "SELECT id, photo_type, photo FROM products WHERE photo IS NOT NULL AND photo_type IS NOT NULL ORDER BY id",
    )
    .await?;
    Ok(PurchasingData {
        products: read_all(db, &format!("SELECT {} FROM products ORDER BY id", catalogue::PRODUCT_COLUMNS)).await?,
        product_photos: photos
            .into_iter()
            .map(|(product_id, content_type, bytes)| PhotoRow {
                product_id,
                content_type,
                base64: base64::engine::general_purpose::STANDARD.encode(bytes),
            })
            .collect(),
        pickup_points: read_all(db, "SELECT id, group_id, name, address, lat, lon, active, created_at FROM pickup_points ORDER BY id").await?,
        order_cycles: read_all(db, &format!("SELECT {} FROM order_cycles ORDER BY id", cycles::CYCLE_COLUMNS)).await?,
        cycle_producers: read_all(db, "SELECT cycle_id, producer_id, minimum_minor, transport_basis_points, minimum_met FROM cycle_producers ORDER BY cycle_id, producer_id").await?,
        cycle_products: read_all(db, &format!("SELECT {} FROM cycle_products ORDER BY cycle_id, product_id", cycles::CYCLE_PRODUCT_COLUMNS)).await?,
        cycle_pickups: read_all(db, "SELECT cycle_id, pickup_id, starts_at, ends_at FROM cycle_pickups ORDER BY cycle_id, pickup_id").await?,
        orders: read_all(db, &format!("SELECT {} FROM orders ORDER BY id", cycles::ORDER_COLUMNS)).await?,
        order_lines: read_all(db, &format!("SELECT {} FROM order_lines ORDER BY order_id, product_id, beneficiary", cycles::LINE_COLUMNS)).await?,
        deliveries: read_all(db, "SELECT cycle_id, producer_id, pickup_id, distance_m, weight_g, recorded_by, recorded_at FROM deliveries ORDER BY cycle_id, producer_id, pickup_id").await?,
        cycle_settlements: read_all(db, "SELECT cycle_id, account_id, role, amount_minor, transfer_id FROM cycle_settlements ORDER BY cycle_id, account_id, role").await?,
        csa_plans: read_all(db, &format!("SELECT {} FROM csa_plans ORDER BY id", subscriptions::PLAN_COLUMNS)).await?,
        csa_subscriptions: read_all(db, &format!("SELECT {} FROM csa_subscriptions ORDER BY id", subscriptions::SUBSCRIPTION_COLUMNS)).await?,
        csa_deliveries: read_all(db, "SELECT subscription_id, day, status, changed_at FROM csa_deliveries ORDER BY subscription_id, day").await?,
        csa_instalments: read_all(db, "SELECT subscription_id, number, due, amount_minor, paid_at, transfer_id FROM csa_instalments ORDER BY subscription_id, number").await?,
    })
}

/// Writes every purchasing table of a document, in dependency order, in one transaction.
pub async fn import(db: &Db, d: &PurchasingData) -> Result<()> {
    use base64::Engine as _;
    let sqlite = db.backend() == "sqlite";
    let mut photos = Vec::with_capacity(d.product_photos.len());
    for p in &d.product_photos {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&p.base64)
            .map_err(|_| StoreError::Corrupt("product_photos.base64"))?;
        photos.push((p.product_id, p.content_type.clone(), bytes));
    }
    with_pool!(db.write(), pool => {
        let mut tx = pool.begin().await?;
        crate::insert_rows!(tx, sqlite, &d.products, 18, catalogue::products_sql, |q, r| catalogue::bind_product!(q, r));
        for (id, content_type, bytes) in &photos {
            sqlx::query("UPDATE products SET photo_type = $2, photo = $3 WHERE id = $1")
                .bind(id).bind(content_type).bind(bytes).execute(&mut *tx).await?;
        }
        crate::insert_rows!(tx, sqlite, &d.pickup_points, 8, catalogue::pickups_sql, |q, r| catalogue::bind_pickup!(q, r));
        crate::insert_rows!(tx, sqlite, &d.order_cycles, 16, cycles::cycles_sql, |q, r| cycles::bind_cycle!(q, r));
        crate::insert_rows!(tx, sqlite, &d.cycle_producers, 5, cycles::cycle_producers_sql, |q, r| cycles::bind_cycle_producer!(q, r));
        crate::insert_rows!(tx, sqlite, &d.cycle_products, 7, cycles::cycle_products_sql, |q, r| cycles::bind_cycle_product!(q, r));
        crate::insert_rows!(tx, sqlite, &d.cycle_pickups, 4, cycles::cycle_pickups_sql, |q, r| cycles::bind_cycle_pickup!(q, r));
        crate::insert_rows!(tx, sqlite, &d.orders, 7, cycles::orders_sql, |q, r| cycles::bind_order!(q, r));
        crate::insert_rows!(tx, sqlite, &d.order_lines, 10, cycles::lines_sql, |q, r| cycles::bind_line!(q, r));
        crate::insert_rows!(tx, sqlite, &d.deliveries, 7, cycles::deliveries_sql, |q, r| cycles::bind_delivery!(q, r));
        crate::insert_rows!(tx, sqlite, &d.cycle_settlements, 5, cycles::settlements_sql, |q, r| cycles::bind_settlement!(q, r));
        crate::insert_rows!(tx, sqlite, &d.csa_plans, 16, subscriptions::plans_sql, |q, r| subscriptions::bind_plan!(q, r));
        crate::insert_rows!(tx, sqlite, &d.csa_subscriptions, 7, subscriptions::subscriptions_sql, |q, r| subscriptions::bind_subscription!(q, r));
        crate::insert_rows!(tx, sqlite, &d.csa_deliveries, 4, subscriptions::share_deliveries_sql, |q, r| subscriptions::bind_share_delivery!(q, r));
        crate::insert_rows!(tx, sqlite, &d.csa_instalments, 6, subscriptions::instalments_sql, |q, r| subscriptions::bind_instalment!(q, r));
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}
