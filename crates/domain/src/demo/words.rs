//! Word pools and sentence templates, in Italian and French, from which demo names, descriptions,
//! bios, messages and reasons are assembled. Templates use `{town}`, `{de_town}` (French "de X" /
//! "d'X"), `{motif}`, `{noun}`, `{surname}`, `{place}`, `{quarter}`, `{year}`, `{thing}`,
//! `{product}`, `{name}` and `{volunteers}`.

use crate::directory::{OrganizationKind as K, Sector as S};

pub(super) const FIRST_IT: &[&str] = &[
    "Giulia",
    "Francesca",
    "Chiara",
    "Sara",
    "Martina",
    "Elena",
    "Anna",
    "Valentina",
    "Alessia",
    "Federica",
    "Silvia",
    "Laura",
    "Paola",
    "Marta",
    "Giorgia",
    "Ilaria",
    "Roberta",
    "Monica",
    "Simona",
    "Elisa",
    "Beatrice",
    "Caterina",
    "Lucia",
    "Noemi",
    "Irene",
    "Marco",
    "Luca",
    "Andrea",
    "Matteo",
    "Alessandro",
    "Francesco",
    "Lorenzo",
    "Davide",
    "Simone",
    "Federico",
    "Stefano",
    "Paolo",
    "Giovanni",
    "Giuseppe",
    "Roberto",
    "Riccardo",
    "Nicola",
    "Fabio",
    "Daniele",
    "Emanuele",
    "Massimo",
    "Pietro",
    "Tommaso",
    "Enrico",
    "Claudio",
];

pub(super) const FIRST_FR: &[&str] = &[
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Emma",
    "Inès",
    "Sarah",
    "Julie",
    "Claire",
    "Anne",
    "Marie",
    "Sophie",
    "Élise",
    "Mathilde",
    "Pauline",
    "Céline",
    "Aurélie",
    "Nathalie",
    "Isabelle",
    "Margaux",
    "Lucie",
    "Juliette",
    "Hélène",
    "Agathe",
    "Solène",
    "Thomas",
    "Nicolas",
    "Julien",
    "Antoine",
    "Pierre",
    "Maxime",
    "Hugo",
    "Louis",
    "Lucas",
    "Théo",
    "Mathieu",
    "Guillaume",
    "Baptiste",
    "Romain",
    "Vincent",
    "François",
    "Olivier",
    "Sébastien",
    "Benoît",
    "Jérôme",
    "Yann",
    "Étienne",
    "Arnaud",
    "Clément",
    "Quentin",
];

pub(super) const SURNAME_IT: &[&str] = &[
    "Rossi",
    "Russo",
    "Ferrari",
    "Esposito",
    "Bianchi",
    "Romano",
    "Colombo",
    "Ricci",
    "Marino",
    "Greco",
    "Bruno",
    "Gallo",
    "Conti",
    "De Luca",
    "Mancini",
    "Costa",
    "Giordano",
    "Rizzo",
    "Lombardi",
    "Moretti",
    "Barbieri",
    "Fontana",
    "Santoro",
    "Mariani",
    "Rinaldi",
    "Caruso",
    "Ferrara",
    "Galli",
    "Martini",
    "Leone",
    "Longo",
    "Gentile",
    "Martinelli",
    "Vitale",
    "Lombardo",
    "Serra",
    "Coppola",
    "De Santis",
    "D'Angelo",
    "Marchetti",
    "Parisi",
    "Villa",
    "Conte",
    "Ferraro",
    "Fabbri",
    "Bianco",
    "Marini",
    "Grasso",
    "Valentini",
    "Messina",
    "Sala",
    "De Rosa",
    "Gatti",
    "Pellegrini",
    "Palumbo",
    "Sanna",
    "Farina",
    "Rizzi",
    "Monti",
    "Cattaneo",
];

pub(super) const SURNAME_FR: &[&str] = &[
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Lefèvre",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Morin",
    "Mathieu",
    "Clément",
    "Gauthier",
    "Dumont",
    "Lopez",
    "Fontaine",
    "Chevalier",
    "Robin",
];

/// Family names typical of Valle d'Aosta (Franco-Provençal origin).
pub(super) const SURNAME_VDA: &[&str] = &[
    "Bich",
    "Chabod",
    "Chanoux",
    "Vuillermoz",
    "Favre",
    "Bionaz",
    "Jaccod",
    "Pession",
    "Cerise",
    "Gerbore",
    "Thiébat",
    "Champrétavy",
    "Bérard",
    "Diémoz",
    "Brunet",
    "Marguerettaz",
    "Glarey",
    "Cheney",
    "Bétemps",
    "Charrère",
    "Réan",
    "Vierin",
    "Rollandin",
    "Perron",
    "Dujany",
    "Junod",
    "Savoye",
    "Cuaz",
    "Frassy",
    "Ottin",
    "Grange",
    "Lucianaz",
    "Rosset",
    "Tillier",
    "Chenal",
    "Fosson",
    "Pellissier",
    "Bonin",
    "Gorret",
    "Meynet",
];

pub(super) const MOTIF_IT: &[&str] = &[
    "La Lanterna",
    "Il Ponte",
    "Arcobaleno",
    "Il Cerchio",
    "La Fucina",
    "Il Germoglio",
    "La Meridiana",
    "Il Sentiero",
    "La Ginestra",
    "Il Mulino",
    "La Rete",
    "L'Alveare",
    "Il Seme",
    "La Sorgente",
    "Il Faro",
    "La Bussola",
    "Il Girasole",
    "La Quercia",
    "L'Aquilone",
    "Il Grappolo",
    "La Genziana",
    "La Stella Alpina",
    "Il Larice",
    "La Baita",
    "Il Ruscello",
    "La Trama",
    "Il Telaio",
    "La Rondine",
    "Il Castagno",
    "La Vigna",
    "Il Camoscio",
    "La Marmotta",
    "Il Fienile",
    "La Lucciola",
    "Il Gomitolo",
    "Terra Viva",
    "Mani Unite",
    "Monte Emilius",
    "Gran Paradiso",
    "Il Crocevia",
];

pub(super) const MOTIF_FR: &[&str] = &[
    "La Lanterne",
    "Le Pont",
    "L'Arc-en-ciel",
    "Le Cercle",
    "La Forge",
    "La Pousse",
    "Le Sentier",
    "La Source",
    "La Ruche",
    "La Graine",
    "Le Moulin",
    "La Boussole",
    "Le Tournesol",
    "Le Chêne",
    "Le Mélèze",
    "La Marmotte",
    "L'Edelweiss",
    "La Gentiane",
    "Le Chalet",
    "Le Torrent",
    "La Trame",
    "L'Hirondelle",
    "Le Châtaignier",
    "La Vigne",
    "Les Cimes",
    "Le Grand-Paradis",
    "La Luciole",
    "Le Fenil",
    "La Pelote",
    "Terre Vivante",
    "Mains Unies",
    "Le Carrefour",
    "La Clé des Champs",
    "Le Bouquetin",
    "La Combe",
];

/// Places a farm is named after, in French ("Ferme du Grand-Paradis").
pub(super) const FARM_PLACE_FR: &[&str] = &[
    "du Grand-Paradis",
    "des Cimes",
    "du Pré-Vert",
    "de la Combe",
    "du Vieux Moulin",
    "des Trois Sources",
    "du Mont-Blanc",
    "de la Fontaine",
    "des Mélèzes",
    "du Col",
    "de l'Adret",
    "de l'Ubac",
    "des Alpages",
    "du Clos Fleuri",
    "de la Tour",
];

/// Alpine pastures and hamlets a farm is named after, in Italian ("Alpeggio Plan-Félinaz").
pub(super) const FARM_PLACE_IT: &[&str] = &[
    "Plan-Félinaz",
    "Grand-Chemin",
    "Pian del Lupo",
    "Crest",
    "Les Fleurs",
    "Vetan",
    "Champorcher",
    "Praz",
    "Bois de Clin",
    "Col di Joux",
    "Chamois",
    "Les Granges",
    "Pian delle Betulle",
    "Ruinaz",
    "Valmeriana",
];

pub(super) const QUARTER_IT: &[&str] = &[
    "Centro",
    "Nord",
    "Sud",
    "Est",
    "Ovest",
    "Stazione",
    "Collina",
    "Borgo",
    "Quartiere Dora",
    "San Martino",
];
pub(super) const QUARTER_FR: &[&str] = &[
    "Centre",
    "Nord",
    "Sud",
    "Gare",
    "Vieille Ville",
    "Les Hauts",
    "Faubourg",
    "Bourg",
];

pub(super) const THING_IT: &[&str] = &["Pane", "Libro", "Castello", "Sentiero", "Bosco", "Treno"];
pub(super) const THING_FR: &[&str] = &["Pain", "Jardin", "Livre", "Patrimoine", "Vélo", "Four"];

pub(super) const PRODUCT_IT: &[&str] = &["Latte", "Frutta", "Miele", "Vino", "Ortofrutta", "Lana"];

pub(super) const STREET_IT: &[&str] = &[
    "Via Roma",
    "Via Garibaldi",
    "Via Mazzini",
    "Via Cavour",
    "Corso Italia",
    "Via Dante",
    "Piazza della Repubblica",
    "Via dei Mulini",
    "Via delle Vigne",
    "Via San Martino",
    "Via del Castello",
    "Via Monte Grappa",
    "Via XX Settembre",
    "Via Verdi",
    "Via della Stazione",
    "Via dei Partigiani",
    "Viale Europa",
    "Via Nazionale",
    "Via dei Prati",
    "Vicolo del Forno",
];
pub(super) const STREET_FR: &[&str] = &[
    "rue de la République",
    "rue Victor-Hugo",
    "avenue Jean-Jaurès",
    "rue du Moulin",
    "chemin des Vignes",
    "place du Marché",
    "rue de l'Église",
    "route de la Gare",
    "impasse des Tilleuls",
    "chemin du Lavoir",
    "rue Pasteur",
    "boulevard Gambetta",
    "allée des Peupliers",
    "rue des Écoles",
    "rue du Four",
];
/// Valle d'Aosta's streets mix both languages.
pub(super) const STREET_VDA: &[&str] = &[
    "Via Porta Pretoria",
    "Piazza Émile Chanoux",
    "Rue Croix-de-Ville",
    "Via Sant'Anselmo",
    "Corso Battaglione Aosta",
    "Via Chambéry",
    "Rue de la Tour",
    "Via Festaz",
    "Località Grand-Chemin",
    "Frazione Pont-Suaz",
    "Rue des Alpes",
    "Route Nationale",
    "Via Roma",
    "Hameau de Chez-les-Roux",
    "Rue du Mont-Blanc",
    "Località Plan-Félinaz",
    "Via Monte Emilius",
    "Rue de l'Église",
    "Frazione Villair",
    "Via Lys",
];

/// Relative frequency of each kind: many farms, associations and purchasing groups, few public
/// partners.
pub(super) const KIND_WEIGHTS: &[(K, u32)] = &[
    (K::Farm, 200),
    (K::Association, 170),
    (K::PurchasingGroup, 140),
    (K::WorkerCoop, 90),
    (K::SocialEnterprise, 90),
    (K::CommunityGroup, 90),
    (K::ProducerCoop, 80),
    (K::MultiStakeholderCoop, 60),
    (K::ConsumerCoop, 50),
    (K::PublicPartner, 30),
];

/// The sectors an organisation of a kind works in, with relative frequency.
pub(super) fn sectors(kind: K) -> &'static [(S, u32)] {
    match kind {
        K::Farm => &[
            (S::Agriculture, 80),
            (S::FoodProcessing, 12),
            (S::Tourism, 8),
        ],
        K::ProducerCoop => &[(S::Agriculture, 50), (S::FoodProcessing, 50)],
        K::WorkerCoop => &[
            (S::Construction, 15),
            (S::Crafts, 12),
            (S::Digital, 12),
            (S::ProfessionalServices, 12),
            (S::Hospitality, 10),
            (S::Mobility, 8),
            (S::Education, 7),
            (S::Textiles, 6),
            (S::Recycling, 6),
            (S::Culture, 6),
            (S::Energy, 6),
        ],
        // Energy consumer cooperatives sell their members green electricity.
        K::ConsumerCoop => &[(S::Retail, 80), (S::Energy, 20)],
        K::MultiStakeholderCoop => &[
            (S::Energy, 25),
            (S::Housing, 20),
            (S::SocialCare, 15),
            (S::Mobility, 10),
            (S::Tourism, 10),
            (S::FoodProcessing, 10),
            (S::Finance, 10),
        ],
        K::SocialEnterprise => &[
            (S::SocialCare, 35),
            (S::Recycling, 20),
            (S::Hospitality, 15),
            (S::Health, 10),
            (S::Textiles, 10),
            (S::Education, 10),
        ],
        K::Association => &[
            (S::Culture, 30),
            (S::Education, 25),
            (S::SocialCare, 20),
            (S::Tourism, 10),
            (S::Health, 10),
            (S::Finance, 5),
        ],
        K::CommunityGroup => &[
            (S::Culture, 25),
            (S::Agriculture, 25),
            (S::Recycling, 25),
            (S::Education, 15),
            (S::Mobility, 10),
        ],
        K::PurchasingGroup => &[(S::Retail, 100)],
        K::PublicPartner => &[
            (S::PublicAdministration, 80),
            (S::Education, 10),
            (S::Culture, 10),
        ],
    }
}

/// Legal forms of a kind, in Italian and in French.
pub(super) fn legal_forms(kind: K, french: bool) -> &'static [&'static str] {
    match (kind, french) {
        (K::WorkerCoop, false) => &["Società cooperativa", "Società cooperativa a r.l."],
        (K::WorkerCoop, true) => &["SCOP SARL", "SCOP SA"],
        (K::ConsumerCoop, false) => &["Società cooperativa di consumo"],
        (K::ConsumerCoop, true) => &[
            "Société coopérative de consommateurs",
            "SA coopérative de consommation",
        ],
        (K::ProducerCoop, false) => &["Società cooperativa agricola"],
        (K::ProducerCoop, true) => &["Coopérative agricole", "SICA"],
        (K::MultiStakeholderCoop, false) => &["Cooperativa di comunità", "Società cooperativa"],
        (K::MultiStakeholderCoop, true) => &["SCIC SAS", "SCIC SARL"],
        (K::SocialEnterprise, false) => &[
            "Cooperativa sociale di tipo A",
            "Cooperativa sociale di tipo B",
            "Impresa sociale srl",
        ],
        (K::SocialEnterprise, true) => &["SAS agréée ESUS", "Entreprise d'insertion (SARL)"],
        (K::Association, false) => &["APS", "ODV", "Associazione riconosciuta"],
        (K::Association, true) => &["Association loi 1901"],
        (K::CommunityGroup, false) => &["Associazione non riconosciuta", "Gruppo informale"],
        (K::CommunityGroup, true) => &["Collectif informel", "Association de fait"],
        (K::Farm, false) => &["Azienda agricola", "Società agricola semplice"],
        (K::Farm, true) => &["EARL", "GAEC", "Exploitation individuelle"],
        (K::PurchasingGroup, false) => &["Associazione non riconosciuta", "APS"],
        (K::PurchasingGroup, true) => &["Association loi 1901"],
        // Public partners' forms follow their names: see `org_name`.
        (K::PublicPartner, false) => &["Ente pubblico"],
        (K::PublicPartner, true) => &["Établissement public"],
    }
}

/// Name templates of a kind, in Italian and in French.
pub(super) fn name_templates(kind: K, french: bool) -> &'static [&'static str] {
    match (kind, french) {
        (K::WorkerCoop, false) => &[
            "Cooperativa {motif}",
            "{noun} {motif} Soc. Coop.",
            "Cooperativa di Lavoro {motif}",
            "{noun} Cooperativa {town}",
        ],
        (K::WorkerCoop, true) => &[
            "SCOP {motif}",
            "{noun} {motif} SCOP",
            "SCOP {noun} {de_town}",
        ],
        (K::ConsumerCoop, false) => &[
            "Emporio Solidale {town}",
            "Cooperativa di Consumo {motif}",
            "Spesa Comune {town}",
        ],
        (K::ConsumerCoop, true) => &[
            "Coopérative de consommateurs {motif}",
            "Épicerie coopérative {motif}",
            "Supermarché coopératif {de_town}",
        ],
        (K::ProducerCoop, false) => &[
            "Caseificio Cooperativo {town}",
            "Cantina Cooperativa {motif}",
            "Cooperativa Produttori {product} {town}",
            "Caseificio Valdostano Fontina Coop {town}",
        ],
        (K::ProducerCoop, true) => &[
            "Coopérative fruitière {de_town}",
            "Cave coopérative {de_town}",
            "Coopérative laitière {motif}",
            "Fromagerie coopérative {de_town}",
        ],
        (K::MultiStakeholderCoop, false) => &[
            "Cooperativa di Comunità {motif}",
            "Cooperativa di Comunità {town}",
            "{noun} Comune {town} Coop",
        ],
        (K::MultiStakeholderCoop, true) => &[
            "SCIC {motif}",
            "SCIC Énergies Citoyennes {de_town}",
            "SCIC Biens Communs {de_town}",
        ],
        (K::SocialEnterprise, false) => &[
            "Cooperativa Sociale {motif}",
            "Impresa Sociale {motif}",
            "Cooperativa Sociale {town} Insieme",
        ],
        (K::SocialEnterprise, true) => &[
            "Ressourcerie {motif}",
            "Entreprise d'insertion {motif}",
            "Atelier solidaire {de_town}",
        ],
        (K::Association, false) => &[
            "Associazione {motif}",
            "APS {motif}",
            "Associazione Amici del {thing}",
            "Associazione Culturale {motif}",
            "Banca del Tempo di {town}",
        ],
        (K::Association, true) => &[
            "Association {motif}",
            "Association Les Amis du {thing}",
            "Les Amis {de_town}",
            "Association culturelle {motif}",
            "Accorderie {de_town}",
        ],
        (K::CommunityGroup, false) => &[
            "Orto Comunitario {motif}",
            "Comitato di Quartiere {town} {quarter}",
            "Gruppo {motif}",
            "Repair Café {town}",
        ],
        (K::CommunityGroup, true) => &[
            "Collectif {motif}",
            "Jardin partagé {motif}",
            "Repair Café {town}",
            "Collectif de quartier {town} {quarter}",
        ],
        (K::Farm, false) => &[
            "Azienda Agricola {surname}",
            "Azienda Agricola {motif}",
            "Agriturismo {motif}",
            "Alpeggio {place}",
            "Fattoria {motif}",
        ],
        (K::Farm, true) => &[
            "Ferme {place}",
            "Ferme {surname}",
            "GAEC {motif}",
            "EARL {surname}",
            "Ferme {motif}",
        ],
        (K::PurchasingGroup, false) => &[
            "GAS {town} {quarter}",
            "GAS {motif}",
            "Gruppo d'Acquisto Solidale {town}",
        ],
        (K::PurchasingGroup, true) => &[
            "AMAP {de_town}",
            "AMAP {motif}",
            "Groupement d'achat {town} {quarter}",
        ],
        (K::PublicPartner, false) => &[
            "Comune di {town}",
            "Biblioteca Civica di {town}",
            "Centro per l'Impiego di {town}",
        ],
        (K::PublicPartner, true) => &[
            "Commune {de_town}",
            "Médiathèque {de_town}",
            "Centre communal d'action sociale {de_town}",
        ],
    }
}

/// A short noun for the sector, used in names ("Edilizia La Quercia", "Auberge Le Mélèze").
pub(super) fn sector_noun(sector: S, french: bool) -> &'static str {
    match (sector, french) {
        (S::Agriculture, false) => "Terre",
        (S::Agriculture, true) => "Terres",
        (S::FoodProcessing, false) => "Laboratorio",
        (S::FoodProcessing, true) => "Atelier",
        (S::Retail, false) => "Bottega",
        (S::Retail, true) => "Boutique",
        (S::Crafts, false) => "Falegnameria",
        (S::Crafts, true) => "Menuiserie",
        (S::Construction, false) => "Edilizia",
        (S::Construction, true) => "Bâtiment",
        (S::Energy, false) => "Energia",
        (S::Energy, true) => "Énergie",
        (S::Housing, false) => "Abitare",
        (S::Housing, true) => "Habitat",
        (S::Mobility, false) => "Trasporti",
        (S::Mobility, true) => "Transports",
        (S::Health, false) => "Salute",
        (S::Health, true) => "Santé",
        (S::SocialCare, false) => "Servizi alla Persona",
        (S::SocialCare, true) => "Services",
        (S::Education, false) => "Scuola",
        (S::Education, true) => "École",
        (S::Culture, false) => "Teatro",
        (S::Culture, true) => "Théâtre",
        (S::Finance, false) => "Mutua",
        (S::Finance, true) => "Mutuelle",
        (S::Digital, false) => "Officina Digitale",
        (S::Digital, true) => "Atelier Numérique",
        (S::Recycling, false) => "Riuso",
        (S::Recycling, true) => "Réemploi",
        (S::Textiles, false) => "Sartoria",
        (S::Textiles, true) => "Couture",
        (S::Tourism, false) => "Sentieri",
        (S::Tourism, true) => "Sentiers",
        (S::Hospitality, false) => "Osteria",
        (S::Hospitality, true) => "Auberge",
        (S::ProfessionalServices, false) => "Studio",
        (S::ProfessionalServices, true) => "Bureau d'études",
        (S::PublicAdministration, false) => "Servizi",
        (S::PublicAdministration, true) => "Services",
    }
}

/// The first sentence of a description: what the organisation is, where and since when.
pub(super) fn intro(kind: K, french: bool) -> &'static str {
    match (kind, french) {
        (K::WorkerCoop, false) => {
            "Cooperativa di lavoro nata nel {year} {a_town}: i soci lavoratori decidono insieme orari, investimenti e distribuzione degli utili."
        }
        (K::WorkerCoop, true) => {
            "Coopérative de travail fondée en {year} à {town} : les salariés associés décident ensemble des horaires, des investissements et du partage des bénéfices."
        }
        (K::ConsumerCoop, false) => {
            "Cooperativa di consumo nata nel {year} {a_town}, di proprietà dei suoi soci consumatori."
        }
        (K::ConsumerCoop, true) => {
            "Coopérative de consommateurs créée en {year} à {town}, qui appartient à ses membres."
        }
        (K::ProducerCoop, false) => {
            "Cooperativa di produttori fondata nel {year} {a_town}: i soci conferiscono i loro prodotti e condividono trasformazione e vendita."
        }
        (K::ProducerCoop, true) => {
            "Coopérative de producteurs fondée en {year} à {town} : les associés apportent leur production et partagent transformation et vente."
        }
        (K::MultiStakeholderCoop, false) => {
            "Cooperativa multistakeholder nata nel {year} {a_town}: lavoratori, utenti, enti locali e sostenitori siedono nello stesso consiglio."
        }
        (K::MultiStakeholderCoop, true) => {
            "Société coopérative d'intérêt collectif créée en {year} à {town} : salariés, usagers, collectivités et soutiens siègent au même conseil."
        }
        (K::SocialEnterprise, false) => {
            "Impresa sociale attiva dal {year} {a_town}, che crea lavoro per persone in situazione di svantaggio."
        }
        (K::SocialEnterprise, true) => {
            "Entreprise sociale active depuis {year} à {town}, qui crée des emplois pour des personnes éloignées du travail."
        }
        (K::Association, false) => {
            "Associazione senza scopo di lucro fondata nel {year} {a_town}, animata da {volunteers} volontari."
        }
        (K::Association, true) => {
            "Association à but non lucratif fondée en {year} à {town}, animée par {volunteers} bénévoles."
        }
        (K::CommunityGroup, false) => {
            "Gruppo di cittadini attivo dal {year} {a_town}, con {volunteers} partecipanti."
        }
        (K::CommunityGroup, true) => {
            "Collectif d'habitants actif depuis {year} à {town}, avec {volunteers} participants."
        }
        (K::Farm, false) => "Azienda agricola a conduzione familiare dal {year}, {a_town}.",
        (K::Farm, true) => "Ferme familiale installée depuis {year} à {town}.",
        (K::PurchasingGroup, false) => {
            "Gruppo di acquisto solidale nato nel {year} {a_town}: {volunteers} famiglie ordinano insieme ogni settimana da produttori locali."
        }
        (K::PurchasingGroup, true) => {
            "Groupe d'achat solidaire créé en {year} à {town} : {volunteers} foyers s'engagent chaque saison auprès de producteurs locaux."
        }
        (K::PublicPartner, false) => "Ente pubblico di {town}, partner del distretto.",
        (K::PublicPartner, true) => "Établissement public {de_town}, partenaire du district.",
    }
}

/// What an organisation of the sector does, one sentence per variant.
pub(super) fn activity(sector: S, french: bool) -> &'static [&'static str] {
    match (sector, french) {
        (S::Agriculture, false) => &[
            "Coltiviamo ortaggi, piccoli frutti e patate di montagna con metodo biologico.",
            "Alleviamo vacche di razza valdostana e produciamo latte per la Fontina.",
            "Curiamo vigneti in forte pendenza e produciamo vino e succo d'uva.",
            "Produciamo miele di castagno e di rododendro, e cereali antichi per il pane nero.",
        ],
        (S::Agriculture, true) => &[
            "Nous cultivons légumes, petits fruits et pommes de terre de montagne en agriculture biologique.",
            "Nous élevons des vaches de race valdôtaine et produisons du lait pour la fontine.",
            "Nous cultivons des vignes en terrasses et produisons vin et jus de raisin.",
            "Nous produisons du miel de châtaignier et des céréales anciennes pour le pain de seigle.",
        ],
        (S::FoodProcessing, false) => &[
            "Trasformiamo latte, cereali e frutta del territorio in formaggi, pane e confetture.",
            "Produciamo salumi e formaggi stagionati con carni e latte di allevamenti vicini.",
        ],
        (S::FoodProcessing, true) => &[
            "Nous transformons le lait, les céréales et les fruits du pays en fromages, pain et confitures.",
            "Nous préparons charcuteries et terrines avec la viande d'élevages voisins.",
        ],
        (S::Retail, false) => &[
            "Distribuiamo prodotti locali e biologici, sfusi e a filiera corta.",
            "Organizziamo gli ordini collettivi e il punto di ritiro settimanale.",
        ],
        (S::Retail, true) => &[
            "Nous distribuons des produits locaux et biologiques, en vrac et en circuit court.",
            "Nous organisons les commandes groupées et la distribution hebdomadaire.",
        ],
        (S::Crafts, false) => &["Lavoriamo legno, ferro e pietra per arredi, restauri e sculture."],
        (S::Crafts, true) => {
            &["Nous travaillons le bois, le fer et la pierre pour le mobilier et la restauration."]
        }
        (S::Construction, false) => {
            &["Ristrutturiamo edifici con materiali naturali e tecniche di bioedilizia."]
        }
        (S::Construction, true) => &["Nous rénovons des bâtiments avec des matériaux biosourcés."],
        (S::Energy, false) => &[
            "Produciamo energia rinnovabile con impianti fotovoltaici e idroelettrici condivisi dai soci.",
        ],
        (S::Energy, true) => &[
            "Nous produisons une énergie renouvelable grâce à des centrales solaires et hydrauliques citoyennes.",
        ],
        (S::Housing, false) => &["Gestiamo alloggi in cohousing e affitti a canone calmierato."],
        (S::Housing, true) => {
            &["Nous gérons un habitat participatif et des logements à loyer modéré."]
        }
        (S::Mobility, false) => {
            &["Organizziamo car sharing, trasporto a chiamata e consegne in bicicletta cargo."]
        }
        (S::Mobility, true) => {
            &["Nous proposons autopartage, transport à la demande et livraisons en vélo cargo."]
        }
        (S::Health, false) => &["Offriamo medicina di comunità, fisioterapia e prevenzione."],
        (S::Health, true) => {
            &["Nous proposons une maison de santé, de la kinésithérapie et de la prévention."]
        }
        (S::SocialCare, false) => {
            &["Gestiamo servizi per anziani, persone con disabilità e famiglie."]
        }
        (S::SocialCare, true) => &[
            "Nous gérons des services pour les personnes âgées, les personnes handicapées et les familles.",
        ],
        (S::Education, false) => {
            &["Organizziamo corsi, laboratori per le scuole e formazione per adulti."]
        }
        (S::Education, true) => &[
            "Nous organisons des cours, des ateliers pour les écoles et de la formation pour adultes.",
        ],
        (S::Culture, false) => {
            &["Organizziamo concerti, rassegne di cinema, teatro e feste di paese."]
        }
        (S::Culture, true) => {
            &["Nous organisons des concerts, du cinéma, du théâtre et des fêtes de village."]
        }
        (S::Finance, false) => {
            &["Raccogliamo il risparmio dei soci per finanziare progetti del territorio."]
        }
        (S::Finance, true) => {
            &["Nous collectons l'épargne des membres pour financer des projets locaux."]
        }
        (S::Digital, false) => &[
            "Sviluppiamo software libero, siti web e servizi digitali per le organizzazioni del territorio.",
        ],
        (S::Digital, true) => &[
            "Nous développons des logiciels libres, des sites web et des services numériques pour les structures locales.",
        ],
        (S::Recycling, false) => {
            &["Recuperiamo, ripariamo e rivendiamo mobili, elettrodomestici e abiti usati."]
        }
        (S::Recycling, true) => {
            &["Nous collectons, réparons et revendons meubles, électroménager et vêtements."]
        }
        (S::Textiles, false) => &["Produciamo capi in lana e canapa locali e ripariamo abiti."],
        (S::Textiles, true) => {
            &["Nous fabriquons des vêtements en laine et en chanvre locaux et réparons les habits."]
        }
        (S::Tourism, false) => &[
            "Accompagniamo escursioni, gestiamo un rifugio e proponiamo un turismo lento e responsabile.",
        ],
        (S::Tourism, true) => &[
            "Nous accompagnons des randonnées, gérons un refuge et proposons un tourisme lent et responsable.",
        ],
        (S::Hospitality, false) => {
            &["Gestiamo un ristorante e un servizio di catering con prodotti del distretto."]
        }
        (S::Hospitality, true) => {
            &["Nous tenons un restaurant et un service traiteur avec les produits du district."]
        }
        (S::ProfessionalServices, false) => &[
            "Offriamo consulenza contabile, legale e di progettazione alle organizzazioni dell'economia solidale.",
        ],
        (S::ProfessionalServices, true) => &[
            "Nous offrons conseil comptable, juridique et d'ingénierie aux structures de l'économie solidaire.",
        ],
        (S::PublicAdministration, false) => {
            &["Sostiene il distretto con spazi, bandi e acquisti pubblici responsabili."]
        }
        (S::PublicAdministration, true) => &[
            "Soutient le district par des locaux, des appels à projets et des achats publics responsables.",
        ],
    }
}

/// The closing sentence of a description: how the organisation takes part in the district.
pub(super) const CLOSING_IT: &[&str] = &[
    "Accettiamo pagamenti in credito del distretto.",
    "Partecipiamo alla compensazione multilaterale delle fatture del distretto.",
    "Cerchiamo volontari e nuovi soci: contattateci!",
    "Aderiamo alla carta del distretto e pubblichiamo ogni anno il nostro bilancio sociale.",
    "Collaboriamo con i GAS e le aziende agricole della zona.",
];
pub(super) const CLOSING_FR: &[&str] = &[
    "Nous acceptons les paiements en crédit du district.",
    "Nous participons à la compensation multilatérale des factures du district.",
    "Nous cherchons des bénévoles et de nouveaux membres : contactez-nous !",
    "Nous adhérons à la charte du district et publions chaque année notre bilan social.",
    "Nous travaillons avec les AMAP et les fermes des environs.",
];

pub(super) const BIO_IT: &[&str] = &[
    "Faccio la spesa al GAS ogni settimana e curo un orto condiviso.",
    "Offro ripetizioni di matematica e aiuto con il computer.",
    "Lavoro in una cooperativa sociale; nel tempo libero cammino in montagna.",
    "Suono nella banda del paese e riparo biciclette al Repair Café.",
    "Insegno alla scuola primaria e partecipo alla banca del tempo.",
    "Mi occupo di conti e bilanci: posso aiutare le associazioni.",
    "Cucino per le feste del quartiere e raccolgo ricette valdostane.",
    "Ho un'auto elettrica che metto a disposizione per il car sharing.",
];
pub(super) const BIO_FR: &[&str] = &[
    "Je fais mes courses à l'AMAP et je cultive un jardin partagé.",
    "Je donne des cours de français et un coup de main en informatique.",
    "Je travaille dans une SCOP et je randonne le week-end.",
    "Je répare des vélos au Repair Café et je chante dans la chorale.",
    "J'enseigne à l'école primaire et je participe à l'accorderie.",
    "Je tiens la comptabilité d'associations du quartier.",
    "Je cuisine pour les fêtes de quartier et je collectionne les recettes de montagne.",
    "Je prête ma voiture électrique en autopartage.",
];

pub(super) const ADMIT_ORG_IT: &[&str] = &[
    "Ha firmato la carta del distretto; statuto e bilancio verificati.",
    "Ammessa dall'assemblea dei soci: requisiti della carta rispettati.",
    "Presentata da due organizzazioni socie; adesione alla carta sottoscritta.",
    "Visita in sede effettuata, condizioni di lavoro conformi alla carta.",
];
pub(super) const ADMIT_ORG_FR: &[&str] = &[
    "A signé la charte du district ; statuts et comptes vérifiés.",
    "Admise par l'assemblée des membres : critères de la charte respectés.",
    "Parrainée par deux organisations membres ; charte signée.",
    "Visite sur place effectuée, conditions de travail conformes à la charte.",
];
pub(super) const ADMIT_PERSON_IT: &[&str] = &[
    "Domanda individuale accolta: carta sottoscritta.",
    "Presentata da un'organizzazione socia; quota versata.",
    "Quota sociale versata e carta sottoscritta.",
];
pub(super) const ADMIT_PERSON_FR: &[&str] = &[
    "Demande individuelle acceptée : charte signée.",
    "Parrainage d'une organisation membre ; cotisation réglée.",
    "Cotisation réglée et charte signée.",
];
pub(super) const SUSPEND_ORG_IT: &str =
    "Sospesa in attesa di chiarimenti sul rispetto della carta (condizioni di lavoro).";
pub(super) const SUSPEND_ORG_FR: &str = "Suspendue dans l'attente d'éclaircissements sur le respect de la charte (conditions de travail).";
pub(super) const SUSPEND_PERSON_IT: &str = "Quota associativa non rinnovata dopo tre solleciti.";
pub(super) const SUSPEND_PERSON_FR: &str = "Cotisation non renouvelée après trois relances.";
pub(super) const COORDINATOR_REASON: &str =
    "Coordinamento eletto dall'assemblea costitutiva del distretto.";

pub(super) const APPLY_INDIVIDUAL_IT: &str = "Vorrei aderire al distretto come socia/o individuale: faccio la spesa {a_town} e posso offrire qualche ora di aiuto.";
pub(super) const APPLY_INDIVIDUAL_FR: &str = "Je souhaite adhérer au district à titre individuel : je fais mes courses à {town} et je peux donner quelques heures.";
pub(super) const APPLY_NEW_ORG_IT: &str =
    "Chiediamo l'adesione di {name}: condividiamo i principi della carta del distretto.";
pub(super) const APPLY_NEW_ORG_FR: &str =
    "Nous demandons l'adhésion de {name} : nous partageons les principes de la charte du district.";
pub(super) const APPLY_EXISTING_IT: &str =
    "Collaboro con {name} e vorrei unirmi all'organizzazione sulla piattaforma.";
pub(super) const APPLY_EXISTING_FR: &str =
    "Je travaille avec {name} et je souhaite rejoindre la structure sur la plateforme.";
