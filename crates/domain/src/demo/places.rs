//! Real localities the demo district spreads over, with approximate coordinates, a postcode and
//! the telephone prefix of the area. Weights roughly follow population, so Aosta gets a third of
//! the district and Rome more than Forcalquier.

/// The language a place writes its signs in; Valle d'Aosta writes both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lang {
    /// Italian.
    It,
    /// French.
    Fr,
    /// Italian and French (Valle d'Aosta): each record picks one.
    Both,
}

/// Which ring around Aosta a place belongs to: the district uses the first, the region the first
/// two, the national scale all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ring {
    /// Valle d'Aosta.
    Valley,
    /// Piedmont, Savoie and Haute-Savoie around the valley.
    Near,
    /// The rest of Italy and France.
    Far,
}

/// One locality.
#[derive(Debug)]
pub(super) struct Town {
    pub name: &'static str,
    pub postcode: &'static str,
    pub lat: f64,
    pub lon: f64,
    pub lang: Lang,
    /// International prefix and area code, e.g. `+39 0165` or `+33 4 50`.
    pub phone: &'static str,
    /// Relative weight (about population, dampened).
    pub weight: u32,
    pub ring: Ring,
}

macro_rules! towns {
    ($($name:literal, $post:literal, $lat:literal, $lon:literal, $lang:ident, $phone:literal, $w:literal, $ring:ident;)+) => {
        &[$(Town { name: $name, postcode: $post, lat: $lat, lon: $lon, lang: Lang::$lang, phone: $phone, weight: $w, ring: Ring::$ring }),+]
    };
}

/// Every place, valley first (the district scale uses only those).
pub(super) const TOWNS: &[Town] = towns! {
    // Valle d'Aosta.
    "Aosta", "11100", 45.7372, 7.3206, Both, "+39 0165", 340, Valley;
    "Saint-Vincent", "11027", 45.7508, 7.6467, Both, "+39 0166", 45, Valley;
    "Châtillon", "11024", 45.7503, 7.6161, Both, "+39 0166", 48, Valley;
    "Courmayeur", "11013", 45.7967, 6.9722, Both, "+39 0165", 28, Valley;
    "Pont-Saint-Martin", "11026", 45.5997, 7.7950, Both, "+39 0125", 38, Valley;
    "Verrès", "11029", 45.6633, 7.6883, Both, "+39 0125", 26, Valley;
    "Sarre", "11010", 45.7186, 7.2586, Both, "+39 0165", 48, Valley;
    "Gressan", "11020", 45.7203, 7.2897, Both, "+39 0165", 33, Valley;
    "Quart", "11020", 45.7414, 7.4125, Both, "+39 0165", 40, Valley;
    "Saint-Christophe", "11020", 45.7483, 7.3483, Both, "+39 0165", 33, Valley;
    "Nus", "11020", 45.7394, 7.4667, Both, "+39 0165", 30, Valley;
    "Cogne", "11012", 45.6086, 7.3553, Both, "+39 0165", 14, Valley;
    "Morgex", "11017", 45.7572, 7.0414, Both, "+39 0165", 21, Valley;
    "La Salle", "11015", 45.7481, 7.0719, Both, "+39 0165", 21, Valley;
    "Fénis", "11020", 45.7358, 7.4939, Both, "+39 0165", 18, Valley;
    "Aymavilles", "11010", 45.7008, 7.2408, Both, "+39 0165", 21, Valley;
    "Donnas", "11020", 45.6031, 7.7669, Both, "+39 0125", 25, Valley;
    "Hône", "11020", 45.6128, 7.7375, Both, "+39 0125", 12, Valley;
    "Valtournenche", "11028", 45.8778, 7.6236, Both, "+39 0166", 21, Valley;
    "Introd", "11010", 45.6919, 7.1856, Both, "+39 0165", 6, Valley;
    "Pré-Saint-Didier", "11010", 45.7647, 6.9858, Both, "+39 0165", 10, Valley;
    "Arvier", "11011", 45.7028, 7.1639, Both, "+39 0165", 9, Valley;
    "Villeneuve", "11018", 45.7022, 7.2069, Both, "+39 0165", 12, Valley;
    "Saint-Pierre", "11010", 45.7092, 7.2275, Both, "+39 0165", 32, Valley;
    "Charvensod", "11020", 45.7228, 7.3236, Both, "+39 0165", 25, Valley;
    "Pollein", "11020", 45.7283, 7.3497, Both, "+39 0165", 15, Valley;
    "Brissogne", "11020", 45.7250, 7.3983, Both, "+39 0165", 10, Valley;
    "Saint-Marcel", "11020", 45.7308, 7.4475, Both, "+39 0165", 13, Valley;
    "Chambave", "11023", 45.7444, 7.5494, Both, "+39 0166", 9, Valley;
    "Montjovet", "11020", 45.7061, 7.6717, Both, "+39 0166", 18, Valley;
    "Issogne", "11020", 45.6547, 7.6864, Both, "+39 0125", 14, Valley;
    "Arnad", "11020", 45.6461, 7.7217, Both, "+39 0125", 13, Valley;
    "Bard", "11020", 45.6086, 7.7444, Both, "+39 0125", 2, Valley;
    "Gressoney-Saint-Jean", "11025", 45.7764, 7.8264, Both, "+39 0125", 8, Valley;
    "Ayas", "11020", 45.8125, 7.6942, Both, "+39 0125", 14, Valley;
    "Brusson", "11022", 45.7597, 7.7303, Both, "+39 0125", 9, Valley;
    "Antey-Saint-André", "11020", 45.8069, 7.5903, Both, "+39 0166", 6, Valley;
    "Étroubles", "11014", 45.8197, 7.2328, Both, "+39 0165", 5, Valley;
    "Gignod", "11010", 45.7797, 7.2928, Both, "+39 0165", 17, Valley;
    "Valpelline", "11010", 45.8250, 7.3278, Both, "+39 0165", 6, Valley;
    "La Thuile", "11016", 45.7142, 6.9506, Both, "+39 0165", 8, Valley;
    // Around the valley.
    "Ivrea", "10015", 45.4667, 7.8758, It, "+39 0125", 80, Near;
    "Biella", "13900", 45.5667, 8.0522, It, "+39 015", 90, Near;
    "Torino", "10121", 45.0703, 7.6869, It, "+39 011", 400, Near;
    "Chivasso", "10034", 45.1908, 7.8883, It, "+39 011", 40, Near;
    "Susa", "10059", 45.1375, 7.0500, It, "+39 0122", 20, Near;
    "Pinerolo", "10064", 44.8847, 7.3311, It, "+39 0121", 45, Near;
    "Cuorgnè", "10082", 45.3906, 7.6497, It, "+39 0124", 20, Near;
    "Vercelli", "13100", 45.3206, 8.4181, It, "+39 0161", 60, Near;
    "Novara", "28100", 45.4453, 8.6217, It, "+39 0321", 90, Near;
    "Verbania", "28922", 45.9214, 8.5519, It, "+39 0323", 40, Near;
    "Domodossola", "28845", 46.1156, 8.2928, It, "+39 0324", 25, Near;
    "Chamonix-Mont-Blanc", "74400", 45.9237, 6.8694, Fr, "+33 4 50", 25, Near;
    "Sallanches", "74700", 45.9358, 6.6311, Fr, "+33 4 50", 25, Near;
    "Annecy", "74000", 45.8992, 6.1294, Fr, "+33 4 50", 120, Near;
    "Thonon-les-Bains", "74200", 46.3705, 6.4797, Fr, "+33 4 50", 45, Near;
    "Bourg-Saint-Maurice", "73700", 45.6186, 6.7692, Fr, "+33 4 79", 15, Near;
    "Albertville", "73200", 45.6758, 6.3925, Fr, "+33 4 79", 30, Near;
    "Moûtiers", "73600", 45.4847, 6.5322, Fr, "+33 4 79", 10, Near;
    "Chambéry", "73000", 45.5646, 5.9178, Fr, "+33 4 79", 80, Near;
    "Saint-Jean-de-Maurienne", "73300", 45.2764, 6.3456, Fr, "+33 4 79", 12, Near;
    // Italy.
    "Roma", "00185", 41.9028, 12.4964, It, "+39 06", 500, Far;
    "Milano", "20121", 45.4642, 9.1900, It, "+39 02", 450, Far;
    "Napoli", "80133", 40.8518, 14.2681, It, "+39 081", 300, Far;
    "Palermo", "90133", 38.1157, 13.3615, It, "+39 091", 200, Far;
    "Genova", "16121", 44.4056, 8.9463, It, "+39 010", 180, Far;
    "Bologna", "40121", 44.4949, 11.3426, It, "+39 051", 200, Far;
    "Firenze", "50122", 43.7696, 11.2558, It, "+39 055", 200, Far;
    "Bari", "70121", 41.1171, 16.8719, It, "+39 080", 120, Far;
    "Catania", "95121", 37.5079, 15.0830, It, "+39 095", 100, Far;
    "Venezia", "30121", 45.4408, 12.3155, It, "+39 041", 90, Far;
    "Verona", "37121", 45.4384, 10.9916, It, "+39 045", 100, Far;
    "Messina", "98122", 38.1938, 15.5540, It, "+39 090", 60, Far;
    "Padova", "35121", 45.4064, 11.8768, It, "+39 049", 90, Far;
    "Trieste", "34121", 45.6495, 13.7768, It, "+39 040", 70, Far;
    "Taranto", "74123", 40.4644, 17.2470, It, "+39 099", 50, Far;
    "Brescia", "25121", 45.5416, 10.2118, It, "+39 030", 80, Far;
    "Parma", "43121", 44.8015, 10.3279, It, "+39 0521", 80, Far;
    "Prato", "59100", 43.8777, 11.1022, It, "+39 0574", 50, Far;
    "Modena", "41121", 44.6471, 10.9252, It, "+39 059", 70, Far;
    "Reggio Calabria", "89125", 38.1113, 15.6473, It, "+39 0965", 40, Far;
    "Reggio Emilia", "42121", 44.6989, 10.6297, It, "+39 0522", 70, Far;
    "Perugia", "06121", 43.1107, 12.3908, It, "+39 075", 60, Far;
    "Ravenna", "48121", 44.4184, 12.2035, It, "+39 0544", 50, Far;
    "Livorno", "57123", 43.5485, 10.3106, It, "+39 0586", 40, Far;
    "Cagliari", "09124", 39.2238, 9.1217, It, "+39 070", 60, Far;
    "Foggia", "71121", 41.4622, 15.5446, It, "+39 0881", 35, Far;
    "Rimini", "47921", 44.0678, 12.5695, It, "+39 0541", 40, Far;
    "Salerno", "84121", 40.6824, 14.7681, It, "+39 089", 45, Far;
    "Ferrara", "44121", 44.8381, 11.6198, It, "+39 0532", 45, Far;
    "Sassari", "07100", 40.7259, 8.5557, It, "+39 079", 35, Far;
    "Latina", "04100", 41.4676, 12.9037, It, "+39 0773", 30, Far;
    "Bergamo", "24121", 45.6983, 9.6773, It, "+39 035", 80, Far;
    "Trento", "38122", 46.0748, 11.1217, It, "+39 0461", 70, Far;
    "Bolzano", "39100", 46.4983, 11.3548, It, "+39 0471", 50, Far;
    "Vicenza", "36100", 45.5455, 11.5354, It, "+39 0444", 50, Far;
    "Ancona", "60121", 43.6158, 13.5189, It, "+39 071", 40, Far;
    "Pesaro", "61121", 43.9098, 12.9131, It, "+39 0721", 35, Far;
    "Lecce", "73100", 40.3515, 18.1750, It, "+39 0832", 40, Far;
    "Pisa", "56125", 43.7228, 10.4017, It, "+39 050", 50, Far;
    "Siena", "53100", 43.3188, 11.3308, It, "+39 0577", 35, Far;
    "Udine", "33100", 46.0711, 13.2346, It, "+39 0432", 45, Far;
    "Como", "22100", 45.8081, 9.0852, It, "+39 031", 40, Far;
    "Cuneo", "12100", 44.3845, 7.5427, It, "+39 0171", 40, Far;
    "Asti", "14100", 44.9008, 8.2064, It, "+39 0141", 30, Far;
    "Alessandria", "15121", 44.9124, 8.6153, It, "+39 0131", 35, Far;
    "Lucca", "55100", 43.8429, 10.5027, It, "+39 0583", 35, Far;
    "Arezzo", "52100", 43.4633, 11.8796, It, "+39 0575", 35, Far;
    "L'Aquila", "67100", 42.3498, 13.3995, It, "+39 0862", 25, Far;
    "Potenza", "85100", 40.6404, 15.8056, It, "+39 0971", 20, Far;
    "Matera", "75100", 40.6664, 16.6043, It, "+39 0835", 20, Far;
    "Cosenza", "87100", 39.2983, 16.2537, It, "+39 0984", 25, Far;
    "Campobasso", "86100", 41.5603, 14.6627, It, "+39 0874", 15, Far;
    "Pescara", "65121", 42.4618, 14.2161, It, "+39 085", 35, Far;
    "Sondrio", "23100", 46.1699, 9.8715, It, "+39 0342", 15, Far;
    "Mantova", "46100", 45.1564, 10.7914, It, "+39 0376", 30, Far;
    "Bassano del Grappa", "36061", 45.7667, 11.7342, It, "+39 0424", 25, Far;
    "Città di Castello", "06012", 43.4574, 12.2405, It, "+39 075", 15, Far;
    "Belluno", "32100", 46.1425, 12.2167, It, "+39 0437", 20, Far;
    "Savona", "17100", 44.3091, 8.4772, It, "+39 019", 30, Far;
    // France.
    "Paris", "75011", 48.8566, 2.3522, Fr, "+33 1", 450, Far;
    "Lyon", "69001", 45.7640, 4.8357, Fr, "+33 4 72", 250, Far;
    "Marseille", "13001", 43.2965, 5.3698, Fr, "+33 4 91", 220, Far;
    "Toulouse", "31000", 43.6047, 1.4442, Fr, "+33 5 61", 180, Far;
    "Nice", "06000", 43.7102, 7.2620, Fr, "+33 4 93", 100, Far;
    "Nantes", "44000", 47.2184, -1.5536, Fr, "+33 2 40", 140, Far;
    "Montpellier", "34000", 43.6108, 3.8767, Fr, "+33 4 67", 140, Far;
    "Strasbourg", "67000", 48.5734, 7.7521, Fr, "+33 3 88", 120, Far;
    "Bordeaux", "33000", 44.8378, -0.5792, Fr, "+33 5 56", 150, Far;
    "Lille", "59000", 50.6292, 3.0573, Fr, "+33 3 20", 130, Far;
    "Rennes", "35000", 48.1173, -1.6778, Fr, "+33 2 99", 120, Far;
    "Reims", "51100", 49.2583, 4.0317, Fr, "+33 3 26", 50, Far;
    "Saint-Étienne", "42000", 45.4397, 4.3872, Fr, "+33 4 77", 60, Far;
    "Toulon", "83000", 43.1242, 5.9280, Fr, "+33 4 94", 50, Far;
    "Grenoble", "38000", 45.1885, 5.7245, Fr, "+33 4 76", 120, Far;
    "Dijon", "21000", 47.3220, 5.0415, Fr, "+33 3 80", 60, Far;
    "Angers", "49000", 47.4784, -0.5632, Fr, "+33 2 41", 60, Far;
    "Nîmes", "30000", 43.8367, 4.3601, Fr, "+33 4 66", 45, Far;
    "Villeurbanne", "69100", 45.7719, 4.8902, Fr, "+33 4 78", 50, Far;
    "Clermont-Ferrand", "63000", 45.7772, 3.0870, Fr, "+33 4 73", 60, Far;
    "Aix-en-Provence", "13100", 43.5297, 5.4474, Fr, "+33 4 42", 60, Far;
    "Brest", "29200", 48.3904, -4.4861, Fr, "+33 2 98", 45, Far;
    "Tours", "37000", 47.3941, 0.6848, Fr, "+33 2 47", 55, Far;
    "Amiens", "80000", 49.8941, 2.2958, Fr, "+33 3 22", 40, Far;
    "Limoges", "87000", 45.8336, 1.2611, Fr, "+33 5 55", 40, Far;
    "Perpignan", "66000", 42.6887, 2.8948, Fr, "+33 4 68", 40, Far;
    "Besançon", "25000", 47.2378, 6.0241, Fr, "+33 3 81", 50, Far;
    "Metz", "57000", 49.1193, 6.1757, Fr, "+33 3 87", 40, Far;
    "Orléans", "45000", 47.9030, 1.9093, Fr, "+33 2 38", 45, Far;
    "Rouen", "76000", 49.4432, 1.0999, Fr, "+33 2 35", 55, Far;
    "Mulhouse", "68100", 47.7508, 7.3359, Fr, "+33 3 89", 35, Far;
    "Caen", "14000", 49.1829, -0.3707, Fr, "+33 2 31", 45, Far;
    "Nancy", "54000", 48.6921, 6.1844, Fr, "+33 3 83", 45, Far;
    "Avignon", "84000", 43.9493, 4.8055, Fr, "+33 4 90", 40, Far;
    "Poitiers", "86000", 46.5802, 0.3404, Fr, "+33 5 49", 40, Far;
    "La Rochelle", "17000", 46.1603, -1.1511, Fr, "+33 5 46", 40, Far;
    "Pau", "64000", 43.2951, -0.3708, Fr, "+33 5 59", 35, Far;
    "Bayonne", "64100", 43.4929, -1.4748, Fr, "+33 5 59", 30, Far;
    "Valence", "26000", 44.9334, 4.8924, Fr, "+33 4 75", 35, Far;
    "Gap", "05000", 44.5594, 6.0786, Fr, "+33 4 92", 20, Far;
    "Die", "26150", 44.7536, 5.3703, Fr, "+33 4 75", 10, Far;
    "Forcalquier", "04300", 43.9597, 5.7803, Fr, "+33 4 92", 8, Far;
    "Foix", "09000", 42.9653, 1.6069, Fr, "+33 5 61", 10, Far;
    "Aurillac", "15000", 44.9264, 2.4397, Fr, "+33 4 71", 15, Far;
    "Lorient", "56100", 47.7483, -3.3700, Fr, "+33 2 97", 30, Far;
    "Quimper", "29000", 47.9960, -4.1024, Fr, "+33 2 98", 30, Far;
    "Niort", "79000", 46.3237, -0.4588, Fr, "+33 5 49", 25, Far;
    "Bourg-en-Bresse", "01000", 46.2052, 5.2255, Fr, "+33 4 74", 25, Far;
    "Périgueux", "24000", 45.1846, 0.7214, Fr, "+33 5 53", 20, Far;
    "Saint-Malo", "35400", 48.6493, -2.0257, Fr, "+33 2 99", 25, Far;
};
