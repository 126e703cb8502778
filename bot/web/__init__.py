"""The bot's web face: the programme as pages anyone can open, beside the webhook.

One aiohttp application (`bot.web.site`), the same services underneath as the chat's handlers
(the programme, its filters, its search); Jinja2 templates that escape everything by default.
"""
