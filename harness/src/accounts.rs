//! Pre-provisioned accounts (`lockstep run --accounts FILE`): for a product
//! that cannot create users on demand, the people of each scenario are
//! taken from a file of existing accounts, one pool per role, instead of
//! being made with `POST /accounts`.
//!
//! A scenario's whole cast (the people its Given steps name, with their
//! roles) is leased at once before its first step, and given back when it
//! ends: no two scenarios in flight hold the same account, so neither mail
//! nor sessions cross, and leasing all at once means two scenarios can never
//! each hold what the other waits for. The harness's own observer (a site
//! administrator that only reads) is one account shared by every scenario.
//!
//! Passwords travel in [`Password`], which has no `Display` and a `Debug`
//! that prints no characters; they are registered with the run's
//! [`crate::redact::Secrets`] too, so a product echoing one is masked.

use crate::cast::Role;
use cucumber::gherkin;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A password from the accounts file. It cannot be formatted: `Debug`
/// prints a marker, and there is no `Display`.
pub struct Password(String);

impl Password {
    /// The characters, for the one place they are meant to go: the body of
    /// `POST /sessions`.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// One existing account of the product.
#[derive(Debug)]
pub struct Account {
    pub email: String,
    pub role: Role,
    /// `None`: the product signs this account in without a password.
    pub password: Option<Password>,
    /// The line of the file it came from, for messages.
    pub line: usize,
}

/// A file of accounts that cannot be used: the file, the line, the field
/// and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: {field}: {problem}", file.display())]
pub struct AccountsError {
    pub file: PathBuf,
    pub line: usize,
    pub field: String,
    pub problem: String,
}

/// The roles an account of the file may have, as the driver protocol names them.
pub const ROLES: [&str; 4] = ["site-admin", "admin", "helpdesk", "end-user"];

fn role_of(wire: &str) -> Option<Role> {
    [Role::SiteAdmin, Role::Admin, Role::Helpdesk, Role::EndUser].into_iter().find(|r| r.wire() == wire)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileText {
    observer: Option<toml::Spanned<ObserverText>>,
    #[serde(default)]
    account: Vec<toml::Spanned<AccountText>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ObserverText {
    email: toml::Spanned<String>,
    password: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountText {
    email: toml::Spanned<String>,
    role: toml::Spanned<String>,
    password: Option<String>,
}

/// The accounts of a file: the observer and a pool per role.
#[derive(Debug)]
pub struct Accounts {
    pub file: PathBuf,
    pub observer: Account,
    pub pool: Vec<Account>,
}

fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|b| *b == b'\n').count() + 1
}

impl Accounts {
    pub fn load(file: &Path) -> Result<Accounts, AccountsError> {
        let text = std::fs::read_to_string(file).map_err(|e| AccountsError {
            file: file.to_owned(),
            line: 0,
            field: "-".into(),
            problem: format!("cannot read the accounts file: {e}"),
        })?;
        Self::parse(file, &text)
    }

    /// Parse and check the file. `file` is used in messages only.
    pub fn parse(file: &Path, text: &str) -> Result<Accounts, AccountsError> {
        let err = |line: usize, field: &str, problem: String| AccountsError {
            file: file.to_owned(),
            line,
            field: field.to_owned(),
            problem,
        };
        let parsed: FileText = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| line_at(text, s.start));
            let message = e.message().trim();
            // serde's "unknown field `x`, expected one of ..." names the field.
            let field = message
                .strip_prefix("unknown field `")
                .and_then(|r| r.split('`').next())
                .map_or_else(|| "-".to_owned(), str::to_owned);
            err(line, &field, format!("{message} (an account is `[[account]]` with email, role, password; the harness's own is `[observer]` with email, password)"))
        })?;
        let observer = parsed.observer.ok_or_else(|| {
            err(
                1,
                "observer",
                "no `[observer]`: name the site-administrator account the harness observes with (`[observer]` with email and password)".into(),
            )
        })?;
        let observer_line = line_at(text, observer.span().start);
        let observer = observer.into_inner();
        let observer = Account {
            email: checked_email(&observer.email, text)
                .map_err(|p| err(line_at(text, observer.email.span().start), "observer.email", p))?,
            role: Role::SiteAdmin,
            password: observer.password.map(Password),
            line: observer_line,
        };
        let mut pool = Vec::new();
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        seen.insert(observer.email.to_lowercase(), observer.line);
        for entry in parsed.account {
            let line = line_at(text, entry.span().start);
            let entry = entry.into_inner();
            let email_line = line_at(text, entry.email.span().start);
            let email = checked_email(&entry.email, text).map_err(|p| err(email_line, "account.email", p))?;
            if let Some(first) = seen.insert(email.to_lowercase(), email_line) {
                return Err(err(
                    email_line,
                    "account.email",
                    format!("`{email}` is listed twice (first on line {first}); each account is leased to one scenario at a time"),
                ));
            }
            let role_line = line_at(text, entry.role.span().start);
            let role = role_of(entry.role.get_ref()).ok_or_else(|| {
                err(
                    role_line,
                    "account.role",
                    format!("`{}` is not a role; the roles are: {}", entry.role.get_ref(), ROLES.join(", ")),
                )
            })?;
            pool.push(Account { email, role, password: entry.password.map(Password), line });
        }
        Ok(Accounts { file: file.to_owned(), observer, pool })
    }

    /// How many accounts the file lists for `role` (the observer aside).
    pub fn count(&self, role: Role) -> usize {
        self.pool.iter().filter(|a| a.role == role).count()
    }
}

fn checked_email(email: &toml::Spanned<String>, _text: &str) -> Result<String, String> {
    let e = email.get_ref().trim();
    if e.is_empty() || !e.contains('@') || e.contains(char::is_whitespace) {
        return Err(format!("`{e}` is not an e-mail address"));
    }
    Ok(e.to_owned())
}

/// The people a scenario's Given steps name, with their roles, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cast(pub Vec<(String, Role)>);

impl Cast {
    /// The cast of `scenario`: its feature's and rule's backgrounds, then its own steps.
    pub fn of(feature: &gherkin::Feature, rule: Option<&gherkin::Rule>, scenario: &gherkin::Scenario) -> Cast {
        // Compiled once: a scenario's cast is read at its start, and `\w`'s
        // Unicode tables made compiling it per scenario a visible cost.
        static PERSON: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(r"^(\w+) is (?:a|an) (site administrator|administrator|helpdesk user|end user)$")
                .expect("a valid regex")
        });
        let person = &*PERSON;
        let steps = feature
            .background
            .iter()
            .flat_map(|b| &b.steps)
            .chain(rule.into_iter().flat_map(|r| r.background.iter().flat_map(|b| &b.steps)))
            .chain(&scenario.steps);
        let mut cast: Vec<(String, Role)> = Vec::new();
        for step in steps {
            if let Some(c) = person.captures(&step.value) {
                let name = c[1].to_owned();
                if let (Some(role), false) = (Role::parse(&c[2]), cast.iter().any(|(n, _)| *n == name)) {
                    cast.push((name, role));
                }
            }
        }
        Cast(cast)
    }

    fn need(&self, role: Role) -> usize {
        self.0.iter().filter(|(_, r)| *r == role).count()
    }
}

/// The accounts of a run, each free or leased to one scenario.
pub struct AccountPool {
    file: PathBuf,
    observer: Arc<Account>,
    free: Mutex<Vec<Account>>,
    total: BTreeMap<&'static str, usize>,
    changed: tokio::sync::Notify,
}

impl fmt::Debug for AccountPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountPool").field("file", &self.file).field("accounts", &self.total).finish_non_exhaustive()
    }
}

/// The accounts one scenario holds, by the names its steps use. Dropping it
/// gives them back.
#[derive(Debug)]
pub struct Lease {
    pool: Arc<AccountPool>,
    held: Vec<(String, Account)>,
}

impl AccountPool {
    pub fn new(accounts: Accounts) -> Arc<AccountPool> {
        let mut total = BTreeMap::new();
        for role in [Role::SiteAdmin, Role::Admin, Role::Helpdesk, Role::EndUser] {
            total.insert(role.wire(), accounts.count(role));
        }
        Arc::new(AccountPool {
            file: accounts.file,
            observer: Arc::new(accounts.observer),
            free: Mutex::new(accounts.pool),
            total,
            changed: tokio::sync::Notify::new(),
        })
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    /// How many accounts the file lists, the observer included.
    pub fn size(&self) -> usize {
        self.total.values().sum::<usize>() + 1
    }

    /// The harness's own account (a site administrator; shared, it only reads).
    pub fn observer(&self) -> &Account {
        &self.observer
    }

    /// Every password of the file, for the run's redaction.
    pub fn passwords(&self) -> Vec<String> {
        let free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        free.iter()
            .chain(std::iter::once(&*self.observer))
            .filter_map(|a| a.password.as_ref())
            .map(|p| p.0.clone())
            .collect()
    }

    /// Lease an account of the right role for every person of `cast`, all
    /// at once, waiting while other scenarios hold them. A cast the file
    /// cannot ever satisfy is an error at once.
    pub async fn lease(self: &Arc<Self>, cast: &Cast) -> Result<Lease, String> {
        for role in [Role::SiteAdmin, Role::Admin, Role::Helpdesk, Role::EndUser] {
            let (need, have) = (cast.need(role), self.total[role.wire()]);
            if need > have {
                return Err(format!(
                    "the scenario needs {need} {} account(s) and {} lists {have}; add `[[account]]` entries with role = \"{}\"",
                    role.wire(),
                    self.file.display(),
                    role.wire()
                ));
            }
        }
        loop {
            let changed = self.changed.notified();
            {
                let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
                let enough = [Role::SiteAdmin, Role::Admin, Role::Helpdesk, Role::EndUser]
                    .into_iter()
                    .all(|role| free.iter().filter(|a| a.role == role).count() >= cast.need(role));
                if enough {
                    let mut held = Vec::new();
                    for (name, role) in &cast.0 {
                        let at = free.iter().position(|a| a.role == *role).expect("counted above");
                        held.push((name.clone(), free.remove(at)));
                    }
                    return Ok(Lease { pool: Arc::clone(self), held });
                }
            }
            changed.await;
        }
    }
}

impl Lease {
    /// The account leased for `name`, if the scenario's cast names them.
    pub fn account(&self, name: &str) -> Option<&Account> {
        self.held.iter().find(|(n, _)| n == name).map(|(_, a)| a)
    }

    /// The account with this address: one leased, or the observer.
    pub fn by_email(&self, email: &str) -> Option<&Account> {
        self.held
            .iter()
            .map(|(_, a)| a)
            .chain(std::iter::once(&*self.pool.observer))
            .find(|a| a.email.eq_ignore_ascii_case(email))
    }

    pub fn observer(&self) -> &Account {
        &self.pool.observer
    }

    pub fn file(&self) -> &Path {
        &self.pool.file
    }

    /// The addresses this lease holds.
    pub fn emails(&self) -> Vec<String> {
        self.held.iter().map(|(_, a)| a.email.clone()).collect()
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut free = self.pool.free.lock().unwrap_or_else(|e| e.into_inner());
        free.extend(self.held.drain(..).map(|(_, a)| a));
        drop(free);
        self.pool.changed.notify_waiters();
    }
}

/// Lease `cast` for one scenario: its passwords join the run's redaction,
/// and mail an earlier scenario left for these addresses is forgotten, so
/// the scenario sees only its own.
pub async fn lease(
    pool: &Arc<AccountPool>,
    cast: &Cast,
    secrets: &crate::redact::Secrets,
    mail: &mail_sink::MailSink,
) -> Result<Lease, String> {
    for p in pool.passwords() {
        secrets.register(&p);
    }
    let lease = pool.lease(cast).await?;
    for email in lease.emails() {
        mail.forget_to(&email);
    }
    Ok(lease)
}

/// The address of `name` under `lease`: the observer's for the harness's
/// own account, else the account leased for that person.
pub fn email_of(lease: &Lease, name: &str) -> Option<String> {
    if name == crate::cast::OBSERVER {
        return Some(lease.observer().email.clone());
    }
    lease.account(name).map(|a| a.email.clone())
}

/// Sign `email` in with the password the file gives, and check the MDM
/// knows the account in the role the file says.
pub async fn sign_in(mdm: &crate::driver::Mdm, lease: &Lease, email: &str) -> Result<String, String> {
    let account = lease
        .by_email(email)
        .ok_or_else(|| format!("{email} is not an account this scenario leased from {}", lease.file().display()))?;
    let request = crate::driver::SignIn { email, password: account.password.as_ref().map(Password::expose) };
    let session = mdm.sign_in(&request).await.map_err(|e| e.to_string())?.map_err(|r| {
        format!(
            "{}:{}: {email} cannot sign in with the password the file gives: {r}",
            lease.file().display(),
            account.line
        )
    })?;
    if session.role != account.role.wire() {
        return Err(format!(
            "{}:{}: {email} signed in as {}, but the file lists it as {}; fix the file or the account's role",
            lease.file().display(),
            account.line,
            session.role,
            account.role.wire()
        ));
    }
    Ok(session.token)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[observer]
email = "observer@vendor.test"
password = "obs-secret-1"

[[account]]
email = "admin1@vendor.test"
role = "site-admin"
password = "s3cret-admin"

[[account]]
email = "user1@vendor.test"
role = "end-user"
"#;

    #[test]
    fn a_good_file_gives_the_observer_and_a_pool_per_role() {
        let a = Accounts::parse(Path::new("accounts.toml"), GOOD).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.observer.email, "observer@vendor.test");
        assert_eq!(a.count(Role::SiteAdmin), 1);
        assert_eq!(a.count(Role::EndUser), 1);
        assert_eq!(a.count(Role::Helpdesk), 0);
        assert!(a.pool[1].password.is_none());
    }

    #[test]
    fn a_mistyped_role_names_file_line_field_and_the_roles() {
        let bad = GOOD.replace("role = \"end-user\"", "role = \"enduser\"");
        let e = Accounts::parse(Path::new("accounts.toml"), &bad).err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            e,
            "accounts.toml:13: account.role: `enduser` is not a role; the roles are: site-admin, admin, helpdesk, end-user"
        );
    }

    #[test]
    fn a_mistyped_field_names_its_line_and_the_fields() {
        let bad = GOOD.replace("password = \"s3cret-admin\"", "passwd = \"s3cret-admin\"");
        let e = Accounts::parse(Path::new("accounts.toml"), &bad).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.starts_with("accounts.toml:9: passwd: unknown field `passwd`"), "{e}");
        assert!(e.contains("`email`, `role`, `password`"), "{e}");
    }

    #[test]
    fn a_missing_observer_and_a_twice_listed_account_are_refused() {
        let no_observer = GOOD.replace("[observer]", "[[account]]\nrole = \"admin\"");
        assert!(Accounts::parse(Path::new("a.toml"), &no_observer).is_err());
        let twice = GOOD.replace("user1@", "admin1@");
        let e = Accounts::parse(Path::new("a.toml"), &twice).err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(e, "a.toml:12: account.email: `admin1@vendor.test` is listed twice (first on line 7); each account is leased to one scenario at a time");
    }

    #[test]
    fn a_password_cannot_be_formatted() {
        let a = Accounts::parse(Path::new("accounts.toml"), GOOD).unwrap_or_else(|e| panic!("{e}"));
        let mut shown = format!("{a:?}");
        shown.push_str(&format!("{:?}", AccountPool::new(a)));
        assert!(!shown.contains("s3cret-admin") && !shown.contains("obs-secret-1"), "{shown}");
        // The negative control: the secret is there, and expose() gives it.
        let a = Accounts::parse(Path::new("accounts.toml"), GOOD).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.pool[0].password.as_ref().map(Password::expose), Some("s3cret-admin"));
    }

    #[tokio::test]
    async fn a_lease_is_exclusive_until_it_is_given_back() {
        let pool =
            AccountPool::new(Accounts::parse(Path::new("accounts.toml"), GOOD).unwrap_or_else(|e| panic!("{e}")));
        let cast = Cast(vec![("Alice".into(), Role::SiteAdmin), ("Erin".into(), Role::EndUser)]);
        let first = pool.lease(&cast).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first.account("Erin").map(|a| a.email.as_str()), Some("user1@vendor.test"));
        let second = tokio::spawn({
            let (pool, cast) = (Arc::clone(&pool), cast.clone());
            async move { pool.lease(&cast).await.map(|l| l.emails()) }
        });
        tokio::task::yield_now().await;
        assert!(!second.is_finished(), "the accounts are held by the first scenario");
        drop(first);
        let emails = second.await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(emails, ["admin1@vendor.test", "user1@vendor.test"]);
        let too_many = Cast(vec![("A".into(), Role::Helpdesk)]);
        let e = pool.lease(&too_many).await.err().unwrap_or_default();
        assert!(e.contains("needs 1 helpdesk account(s) and accounts.toml lists 0"), "{e}");
    }
}
