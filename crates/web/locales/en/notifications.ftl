# Notifications of governance events.
notifications_title = Notifications
notifications_mark_read = Mark all as read
notifications_none = Nothing yet.
notifications_new = new
notification_deliberation_subject = In deliberation: { $title }
notification_deliberation_body = A proposal of { $body } is open for deliberation: comment on it and propose amendments before the vote.
notification_voting_subject = Vote open: { $title }
notification_voting_body = The vote on a proposal of { $body } is open: your vote counts.
notification_result_subject = Result: { $title }
notification_result_body = The vote on a proposal of { $body } is closed: see its result.
notifications_unread = { $count ->
    [0] No unread notification
    [one] One unread notification
   *[other] { $count } unread notifications
}
notification_market_match_subject = A match for your listing: { $title }
notification_market_match_body = A new listing in the marketplace may meet yours: { $title }.
