# Distretto — français. Les identifiants des messages sont partagés par le code, les gabarits et les codes d'erreur de l'API.

## Layout
skip_to_content = Aller au contenu
nav_main = Menu principal
nav_directory = Annuaire
nav_map = Carte
nav_market = Échanges
nav_me = Mon profil
nav_coordination = Coordination
nav_sign_in = Se connecter
nav_sign_out = Se déconnecter
nav_register = Adhérer
nav_language = Langue
footer_open_data = Données ouvertes :
breadcrumbs = Vous êtes ici
pagination = Pages
previous_page = Page précédente
next_page = Page suivante
back_home = Retour à l'accueil
nothing_yet = Rien pour l'instant.
any = Indifférent
choose = Choisir…
save = Enregistrer
cancel = Annuler

## Home
home_title = Accueil
home_intro = Les coopératives, fermes, entreprises sociales, associations et groupements d'achat de notre district : trouvez-les, rejoignez-les, échangez et décidez ensemble.
home_at_a_glance = Le district en un coup d'œil
home_workers_fte = Emplois (équivalent temps plein) :
home_recent_members = Nouveaux membres
home_recent_activity = Activité récente
activity_admitted = a rejoint le district le
organizations_count = { $count ->
    [one] { $count } organisation membre
   *[other] { $count } organisations membres
}

## Directory and map
directory_title = Annuaire des membres
directory_search = Chercher par nom, description ou lieu
directory_place = Lieu
directory_apply_filters = Chercher
directory_show_map = Voir sur la carte
directory_no_results = Aucune organisation ne correspond. Essayez avec moins de mots ou d'autres filtres.
map_title = Carte des membres
map_label = Carte des organisations membres
map_fallback_list = Voir les membres sous forme de liste
map_needs_js = La carte a besoin de JavaScript ; la liste fonctionne partout.

## Organisation profile
org_status_label = Statut :
org_charter = Charte du district
org_charter_signed = Signée, version
org_charter_not_signed = Pas encore signée
org_where = Où nous trouver
org_members = Membres
org_actions = Actions
org_murmurations = Profil en données ouvertes (Murmurations)
org_apply_to_join = Demander à rejoindre cette organisation
org_edit = Modifier le profil
org_invite = Créer un lien d'invitation
org_invitation_link = Partagez ce lien avec un·e collègue (valable 14 jours, une seule fois) :

## Fields
field_org_name = Nom de l'organisation
field_kind = Type d'organisation
field_legal_form = Forme juridique
field_sector = Secteur
field_description = Description
field_website = Site web
field_contact_email = E-mail de contact
field_phone = Téléphone
field_address = Adresse
field_postcode = Code postal
field_locality = Commune
field_lat = Latitude
field_lon = Longitude
field_founded_year = Année de création
field_workers_fte = Emplois (équivalent temps plein)
field_volunteers = Bénévoles
field_person_name = Votre nom
field_email = E-mail
field_password = Mot de passe
field_locale = Langue préférée
field_bio = Quelques mots sur vous
field_message = Un mot pour la coordination
field_reason = Motif (conservé dans le registre des décisions)
hint_position = Degrés décimaux, par exemple 45,737 et 7,320. Laissez les deux champs vides si vous préférez ne pas apparaître sur la carte.
hint_password = Au moins 10 caractères. Le mieux : une phrase dont vous vous souvenez.

## Accounts and profile
register_title = Adhérer au district
register_intro = Créez votre compte, puis dites-nous comment vous souhaitez adhérer : à titre individuel, avec votre organisation ou avec une nouvelle organisation.
register_submit = Créer mon compte
register_have_account = Vous avez déjà un compte ?
sign_in_submit = Se connecter
sign_in_no_account = Pas encore de compte ?
me_membership = Adhésion
me_roles = Rôles
me_apply = Demander à adhérer au district
me_organizations = Mes organisations
me_applications = Mes demandes
me_accounts = Mes comptes
me_no_account = Votre compte s'ouvre dès que votre adhésion est acceptée.
me_account_personal = personnel
me_account_shared = organisation ou partagé
me_edit_profile = Modifier mon profil

## Applying
apply_title = Demander à adhérer
apply_intro = La coordination lit chaque demande et répond en expliquant sa décision.
apply_how = Comment souhaitez-vous adhérer ?
apply_existing_hint = Pour rejoindre une organisation déjà membre, ouvrez sa page dans l'annuaire et choisissez « Demander à rejoindre cette organisation ».
apply_new_org_legend = Votre nouvelle organisation
apply_new_org_hint = À remplir seulement si vous venez avec une nouvelle organisation.
apply_submit = Envoyer ma demande
application_individual = À titre individuel
application_new_organization = Avec une nouvelle organisation
application_existing_organization = Dans une organisation déjà membre du district

## Coordination
applications_title = Demandes d'adhésion
applications_filter = Filtrer les demandes
applications_count = { $count ->
    [one] { $count } demande
   *[other] { $count } demandes
}
decision_legend = Décision
decision_admit = Admettre
decision_reject = Refuser
decision_suspend = Suspendre
decision_reinstate = Réintégrer
decision_record = Enregistrer la décision
decisions_title = Registre des décisions
decisions_count = { $count ->
    [one] { $count } décision
   *[other] { $count } décisions
}
col_when = Quand
col_subject = Qui
col_decision = Décision
col_by = Décidé par
people_title = Personnes
people_search = Chercher par nom ou e-mail
people_count = { $count ->
    [one] { $count } personne
   *[other] { $count } personnes
}
notice_saved = Enregistré.
notice_decision_recorded = La décision est enregistrée et inscrite au registre.
notice_status_changed = Le statut est modifié et inscrit au registre.
notice_application_sent = Votre demande est envoyée. La coordination vous répondra avec une raison.
notice_joined = Bienvenue : vous êtes maintenant membre de cette organisation.

## Invitations
invitation_title = Invitation
invitation_to = Vous êtes invité·e à rejoindre
invitation_accept = Accepter et rejoindre
invitation_sign_in_first = Connectez-vous ou créez d'abord un compte, puis revenez à ce lien.

## Vocabularies
kind_worker_coop = Coopérative de travail (SCOP)
kind_consumer_coop = Coopérative de consommateurs
kind_producer_coop = Coopérative de producteurs
kind_multi_stakeholder_coop = Coopérative multi-sociétariat (SCIC)
kind_social_enterprise = Entreprise sociale
kind_association = Association
kind_community_group = Collectif
kind_farm = Ferme
kind_purchasing_group = Groupement d'achat
kind_public_partner = Partenaire public
sector_agriculture = Agriculture
sector_food_processing = Transformation alimentaire
sector_retail = Commerces
sector_crafts = Artisanat
sector_construction = Bâtiment et rénovation
sector_energy = Énergie
sector_housing = Logement
sector_mobility = Mobilité et transports
sector_health = Santé
sector_social_care = Action sociale
sector_education = Éducation et formation
sector_culture = Culture et loisirs
sector_finance = Finance éthique
sector_digital = Services numériques
sector_recycling = Réparation, réemploi et recyclage
sector_textiles = Textile et habillement
sector_tourism = Tourisme durable
sector_hospitality = Restauration
sector_professional_services = Services aux entreprises
sector_public_administration = Administration publique
status_pending = En attente de décision
status_active = Membre
status_suspended = Suspendu·e
status_rejected = Non admis·e
status_registered = Inscrit·e, pas encore membre
status_member = Membre
status_admitted = Admis·e
role_person = Personne
role_coordinator = Coordinateur·rice
role_administrator = Administrateur·rice
role_organization_admin = Admin de l'organisation
role_admin = Admin
role_member = Membre

## Errors (ids are the API's stable error codes)
error_title = Un problème est survenu
error_status = Code d'erreur
not_found = Cette page ou cet élément n'existe pas, ou vous n'y avez pas accès.
unauthenticated = Connectez-vous pour continuer.
forbidden = Vous n'avez pas le droit de faire cela.
internal_error = Un problème est survenu de notre côté. Il a été noté ; réessayez un peu plus tard.
invalid_json = Le corps de la requête n'est pas un JSON valide pour cette opération.
invalid_query = L'adresse contient un paramètre que nous ne comprenons pas.
invalid_form = Le formulaire n'a pas pu être lu. Rechargez la page et réessayez.
invalid_token = Votre jeton d'accès n'est pas valide ou a expiré.
payload_too_large = Ce que vous avez envoyé est trop volumineux.
unsupported_media_type = Envoyez le corps en JSON (Content-Type: application/json).
method_not_allowed = Cette action n'est pas possible ici.
request_timeout = Cela a pris trop de temps. Réessayez, s'il vous plaît.
csrf_failed = Ce formulaire a expiré ou ne vient pas de ce site. Rechargez la page et réessayez.
conflict = Cela entre en conflit avec quelque chose qui existe déjà.
too_many_attempts = Trop de tentatives de connexion échouées. Attendez 15 minutes, puis réessayez.
invalid_credentials = L'e-mail ou le mot de passe n'est pas correct.
account_suspended = Ce compte est suspendu. Contactez la coordination.
email_taken = Un compte existe déjà avec cet e-mail. Essayez de vous connecter.
weak_password = Le mot de passe doit compter au moins 10 caractères.
invalid_email = Cette adresse e-mail ne semble pas correcte.
invalid_person_name = Indiquez un nom de 120 caractères au maximum.
invalid_name = Le nom de l'organisation doit compter de 2 à 160 caractères.
invalid_kind = Choisissez un type d'organisation dans la liste.
invalid_sector = Choisissez un secteur dans la liste.
invalid_legal_form = La forme juridique est trop longue.
invalid_description = La description est trop longue (5 000 caractères au maximum).
invalid_website = Le site web doit commencer par http:// ou https://.
invalid_phone = Ce numéro de téléphone ne semble pas correct.
invalid_address = L'adresse est trop longue.
invalid_postcode = Le code postal est trop long.
invalid_locality = Le nom de la commune est trop long.
invalid_position = Indiquez la latitude (−90 à 90) et la longitude (−180 à 180), ou aucune des deux.
invalid_founded_year = L'année de création doit être comprise entre 1800 et 2100.
invalid_workers_fte = Indiquez les emplois par un nombre comme 3 ou 2,5 (deux décimales au maximum).
invalid_volunteers = Indiquez un nombre entier de bénévoles.
invalid_limit = La taille de la page doit être comprise entre 1 et 500.
invalid_offset = Le décalage de page est trop grand.
invalid_locale = Choisissez le français, l'italien ou l'anglais.
invalid_bio = La présentation est trop longue (2 000 caractères au maximum).
invalid_status = Statut inconnu.
invalid_application_kind = Choisissez comment vous souhaitez adhérer.
organization_required = Choisissez une organisation membre du district.
already_member = Vous êtes déjà membre.
already_applied = Votre demande est déjà en attente de décision.
application_already_decided = Une décision a déjà été prise sur cette demande.
invalid_decision = Décision inconnue.
invalid_status_change = Ce changement de statut n'est pas possible pour l'instant.
reason_required = Indiquez un motif (au moins 3 caractères).
cannot_decide_on_self = Vous ne pouvez pas décider de votre propre adhésion.
invitation_expired = Cette invitation a expiré ou a déjà été utilisée.
