"""Every sentence of the 'Add to Slack' pages, and Slack's refusal once a workspace is gone."""

TITLE = "Add lenspin to Slack"
HEADING = "Add lenspin to your Slack workspace"
INTRO = (
    "lenspin gets LogMeIn Rescue Lens PINs for your helpdesk technicians, in Slack: "
    "type /lenspin, fill in the customer's name, and the PIN comes back privately."
)
BUTTON = "Add to Slack"
NOTE = (
    "Slack then asks you to allow what lenspin needs: its /lenspin command, posting its "
    "answers, and reading people's names and emails. In an Enterprise Grid org you can "
    "install it for the whole org. Your workspace's admins then choose who may use it, "
    "and how, under Admin in lenspin's Home tab."
)

INSTALLED_TITLE = "lenspin is installed"
INSTALLED = (
    "lenspin is now installed in {name}. Back in Slack, open lenspin's Home tab: your "
    "workspace's admins set it up under Admin there, and technicians type /lenspin."
)

FAILED_TITLE = "lenspin was not installed"
# For a link spent or opened elsewhere: the install it started may well have happened.
LINK_SPENT_TITLE = "This install link can't be used again"
DENIED = "The install was cancelled in Slack, so nothing was installed."
STATE_EXPIRED = (
    "This install link has expired or was already used: each one lasts ten minutes and "
    "works once. If lenspin is already in your workspace, there is nothing more to do; "
    "otherwise start again from the Add to Slack page."
)
OTHER_BROWSER = (
    "This install was started in another browser, or its page was opened again. If "
    "lenspin is already in your workspace, there is nothing more to do; otherwise start "
    "again from the Add to Slack page, in this browser."
)
CODE_REFUSED = (
    "Slack did not accept lenspin's request to complete the install, so nothing was "
    "installed. Start again from the Add to Slack page."
)
DATABASE = (
    "lenspin could not save the install: its database is not answering. Nothing was "
    "installed; try again in a few minutes."
)
BAD_REQUEST = (
    "lenspin couldn't read that address, so nothing was installed. Start again from the "
    "Add to Slack page."
)
SLACK_REFUSED = "Slack did not complete the install. Start again from the Add to Slack page."
START_AGAIN = "Start again"

# What Slack shows someone in a workspace whose install is gone (uninstalled, token revoked).
NOT_INSTALLED = (
    "lenspin is not installed in this workspace any more. Ask a workspace admin to add it "
    "to Slack again."
)
