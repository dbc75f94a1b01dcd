# Distretto — English. Message ids are shared by code, templates and API error codes.

## Layout
skip_to_content = Skip to content
nav_main = Main menu
nav_directory = Directory
nav_map = Map
nav_market = Market
nav_me = My profile
nav_coordination = Coordination
nav_sign_in = Sign in
nav_sign_out = Sign out
nav_register = Join
nav_language = Language
footer_open_data = Open data:
breadcrumbs = You are here
pagination = Pages
previous_page = Previous page
next_page = Next page
back_home = Back to the home page
nothing_yet = Nothing yet.
any = Any
choose = Choose…
save = Save
cancel = Cancel

## Home
home_title = Home
home_intro = The cooperatives, farms, social enterprises, associations and purchasing groups of our district: find them, join them, trade and decide together.
home_at_a_glance = The district at a glance
home_workers_fte = Jobs (full-time equivalent):
home_recent_members = Newest members
home_recent_activity = Recent activity
activity_admitted = joined the district on
organizations_count = { $count ->
    [one] { $count } member organisation
   *[other] { $count } member organisations
}

## Directory and map
directory_title = Directory of members
directory_search = Search by name, description or place
directory_place = Place
directory_apply_filters = Search
directory_show_map = Show on the map
directory_no_results = No organisation matches. Try fewer words or other filters.
map_title = Map of members
map_label = Map of member organisations
map_fallback_list = See the members as a list
map_needs_js = The map needs JavaScript; the list works everywhere.

## Organisation profile
org_status_label = Status:
org_charter = District charter
org_charter_signed = Signed, version
org_charter_not_signed = Not signed yet
org_where = Where to find us
org_members = Members
org_actions = Actions
org_murmurations = Open data profile (Murmurations)
org_apply_to_join = Ask to join this organisation
org_edit = Edit the profile
org_invite = Create an invitation link
org_invitation_link = Share this link with a colleague (valid 14 days, once):

## Fields
field_org_name = Name of the organisation
field_kind = Kind of organisation
field_legal_form = Legal form
field_sector = Sector
field_description = Description
field_website = Website
field_contact_email = Contact e-mail
field_phone = Phone
field_address = Address
field_postcode = Postcode
field_locality = Town
field_lat = Latitude
field_lon = Longitude
field_founded_year = Year founded
field_workers_fte = Jobs (full-time equivalent)
field_volunteers = Volunteers
field_person_name = Your name
field_email = E-mail
field_password = Password
field_locale = Preferred language
field_bio = A few words about you
field_message = A word to the coordinators
field_reason = Reason (kept in the decision log)
hint_position = Decimal degrees, e.g. 45.737 and 7.320. Leave both empty if you prefer not to appear on the map.
hint_password = At least 10 characters. A sentence you remember is best.

## Accounts and profile
register_title = Join the district
register_intro = Create your account, then tell us how you want to join: on your own, with your organisation, or with a new one.
register_submit = Create my account
register_have_account = Already have an account?
sign_in_submit = Sign in
sign_in_no_account = No account yet?
me_membership = Membership
me_roles = Roles
me_apply = Apply to join the district
me_organizations = My organisations
me_applications = My applications
me_accounts = My accounts
me_no_account = Your account opens when you are admitted.
me_account_personal = personal
me_account_shared = organisation or shared
me_edit_profile = Edit my profile

## Applying
apply_title = Apply to join
apply_intro = A coordinator reads every application and answers with a reason.
apply_how = How do you want to join?
apply_existing_hint = To join an organisation that is already a member, open its page in the directory and choose "Ask to join this organisation".
apply_new_org_legend = Your new organisation
apply_new_org_hint = Fill this in only if you bring a new organisation.
apply_submit = Send my application
application_individual = As an individual
application_new_organization = With a new organisation
application_existing_organization = Into an organisation already in the district

## Coordination
applications_title = Applications
applications_filter = Filter applications
applications_count = { $count ->
    [one] { $count } application
   *[other] { $count } applications
}
decision_legend = Decision
decision_admit = Admit
decision_reject = Reject
decision_suspend = Suspend
decision_reinstate = Reinstate
decision_record = Record the decision
decisions_title = Decision log
decisions_count = { $count ->
    [one] { $count } decision
   *[other] { $count } decisions
}
col_when = When
col_subject = Who
col_decision = Decision
col_by = Decided by
people_title = People
people_search = Search by name or e-mail
people_count = { $count ->
    [one] { $count } person
   *[other] { $count } people
}
notice_saved = Saved.
notice_decision_recorded = The decision is recorded and logged.
notice_status_changed = The status is changed and logged.
notice_application_sent = Your application is sent. A coordinator will answer with a reason.
notice_joined = Welcome: you are now a member of this organisation.

## Invitations
invitation_title = Invitation
invitation_to = You are invited to join
invitation_accept = Accept and join
invitation_sign_in_first = Sign in or create an account first, then come back to this link.

## Vocabularies
kind_worker_coop = Worker cooperative
kind_consumer_coop = Consumer cooperative
kind_producer_coop = Producer cooperative
kind_multi_stakeholder_coop = Multi-stakeholder cooperative
kind_social_enterprise = Social enterprise
kind_association = Association
kind_community_group = Community group
kind_farm = Farm
kind_purchasing_group = Purchasing group
kind_public_partner = Public partner
sector_agriculture = Agriculture
sector_food_processing = Food processing
sector_retail = Shops and retail
sector_crafts = Crafts
sector_construction = Building and renovation
sector_energy = Energy
sector_housing = Housing
sector_mobility = Mobility and transport
sector_health = Health
sector_social_care = Social care
sector_education = Education and training
sector_culture = Culture and leisure
sector_finance = Ethical finance
sector_digital = Digital services
sector_recycling = Repair, reuse and recycling
sector_textiles = Textiles and clothing
sector_tourism = Sustainable tourism
sector_hospitality = Restaurants and catering
sector_professional_services = Professional services
sector_public_administration = Public administration
status_pending = Waiting for a decision
status_active = Member
status_suspended = Suspended
status_rejected = Not admitted
status_registered = Registered, not yet a member
status_member = Member
status_admitted = Admitted
role_person = Person
role_coordinator = Coordinator
role_administrator = Administrator
role_organization_admin = Organisation admin
role_admin = Admin
role_member = Member

## Errors (ids are the API's stable error codes)
error_title = Something went wrong
error_status = Error code
not_found = This page or object does not exist, or you may not see it.
unauthenticated = Please sign in first.
forbidden = You are not allowed to do this.
internal_error = Something went wrong on our side. It has been logged; please try again later.
invalid_json = The request body is not valid JSON for this operation.
invalid_query = The address contains a parameter we do not understand.
invalid_form = The form could not be read. Please reload the page and try again.
invalid_token = Your access token is invalid or has expired.
payload_too_large = What you sent is too large.
unsupported_media_type = Send the body as JSON (Content-Type: application/json).
method_not_allowed = This action is not possible here.
request_timeout = This took too long. Please try again.
csrf_failed = This form has expired or did not come from this site. Please reload the page and try again.
conflict = This conflicts with something that already exists.
too_many_attempts = Too many failed sign-ins. Please wait 15 minutes and try again.
invalid_credentials = The e-mail or password is not right.
account_suspended = This account is suspended. Please contact the coordinators.
email_taken = An account with this e-mail already exists. Try signing in.
weak_password = The password needs at least 10 characters.
invalid_email = This e-mail address does not look right.
invalid_person_name = Please give a name of at most 120 characters.
invalid_name = The organisation's name needs 2 to 160 characters.
invalid_kind = Please choose a kind of organisation from the list.
invalid_sector = Please choose a sector from the list.
invalid_legal_form = The legal form is too long.
invalid_description = The description is too long (at most 5,000 characters).
invalid_website = The website must start with http:// or https://.
invalid_phone = This phone number does not look right.
invalid_address = The address is too long.
invalid_postcode = The postcode is too long.
invalid_locality = The town name is too long.
invalid_position = Give both latitude (−90 to 90) and longitude (−180 to 180), or neither.
invalid_founded_year = The year founded must be between 1800 and 2100.
invalid_workers_fte = Jobs must be a number such as 3 or 2.5 (two decimals at most).
invalid_volunteers = Volunteers must be a whole number.
invalid_limit = The page size must be between 1 and 500.
invalid_offset = The page offset is too large.
invalid_locale = Please choose French, Italian or English.
invalid_bio = The presentation is too long (at most 2,000 characters).
invalid_status = Unknown status.
invalid_application_kind = Please choose how you want to join.
organization_required = Please choose an organisation that is a member of the district.
already_member = You are already a member.
already_applied = Your application is already waiting for a decision.
application_already_decided = This application has already been decided.
invalid_decision = Unknown decision.
invalid_status_change = This change of status is not possible now.
reason_required = Please give a reason (at least 3 characters).
cannot_decide_on_self = You cannot decide on your own membership.
invitation_expired = This invitation has expired or has already been used.
