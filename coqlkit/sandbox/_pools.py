"""What the sandbox's record generator (:mod:`coqlkit.sandbox.seed`) draws values from.

Word lists (plain tuples, in a fixed order: the generator picks from them with seeded RNGs), the
builders of pools of names and sentences, and :data:`SPECS`, the distribution each field the
generator knows by API name takes its values from.
Changing either changes the generated data, never its determinism.
"""

from __future__ import annotations

import functools
import random
import zlib
from typing import Any

MALE_FIRST = (
    "James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas", "Charles",
    "Daniel", "Matthew", "Anthony", "Mark", "Steven", "Paul", "Andrew", "Joshua", "Kevin", "Brian",
    "George", "Timothy", "Ryan", "Jacob", "Gary", "Nicholas", "Eric", "Jonathan", "Stephen", "Larry",
    "Justin", "Scott", "Brandon", "Benjamin", "Samuel", "Gregory", "Alexander", "Patrick", "Jack",
    "Dennis", "Tyler", "Aaron", "Jose", "Adam", "Nathan", "Henry", "Peter", "Zachary", "Kyle", "Noah",
    "Ethan", "Lucas", "Liam", "Mateo", "Arjun", "Rahul", "Vikram", "Hiroshi", "Kenji", "Wei", "Chen",
    "Lars", "Sven", "Pierre", "Luca", "Marco", "Diego", "Carlos", "Omar", "Ahmed", "Tariq", "Felix",
    "Jonas", "Mohammed", "Ravi", "Sanjay", "Oliver", "Hugo", "Leon", "Emil",
)  # fmt: skip
FEMALE_FIRST = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah",
    "Karen", "Lisa", "Nancy", "Betty", "Margaret", "Sandra", "Ashley", "Kimberly", "Emily", "Donna",
    "Michelle", "Carol", "Amanda", "Melissa", "Deborah", "Stephanie", "Rebecca", "Sharon", "Laura",
    "Cynthia", "Kathleen", "Amy", "Angela", "Shirley", "Anna", "Brenda", "Pamela", "Emma", "Nicole",
    "Helen", "Samantha", "Katherine", "Christine", "Rachel", "Olivia", "Sophia", "Isabella", "Mia",
    "Charlotte", "Amelia", "Harper", "Priya", "Ananya", "Asha", "Divya", "Meera", "Yuki", "Sakura",
    "Mei", "Ling", "Ingrid", "Astrid", "Camille", "Chloe", "Giulia", "Sofia", "Lucia", "Valentina",
    "Fatima", "Aisha", "Leila", "Hannah", "Lena", "Clara", "Freya", "Nora", "Zara",
)  # fmt: skip
LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
    "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez",
    "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen",
    "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell",
    "Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards",
    "Collins", "Reyes", "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez",
    "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim",
    "Cox", "Ward", "Richardson", "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray",
    "Mendoza", "Ruiz", "Hughes", "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long",
    "Ross", "Foster", "Raman", "Sharma", "Iyer", "Nair", "Gupta", "Reddy", "Tanaka", "Suzuki", "Sato",
    "Watanabe", "Wang", "Li", "Zhang", "Liu", "Chen", "Muller", "Schmidt", "Schneider", "Fischer",
    "Weber", "Dubois", "Laurent", "Bernard", "Rossi", "Russo", "Ferrari", "Silva", "Santos", "Oliveira",
    "Johansson", "Larsen", "Nielsen", "O'Brien", "O'Connor", "Murray", "Khan", "Hassan", "Haddad",
)  # fmt: skip

COMPANY_HEAD = (
    "Acme", "Apex", "Atlas", "Aurora", "Beacon", "Blue Ridge", "Bright", "Cascade", "Cedar", "Clearwater",
    "Cobalt", "Crescent", "Crystal", "Delta", "Eagle", "Echo", "Emerald", "Evergreen", "Falcon",
    "Frontier", "Galaxy", "Global", "Golden", "Granite", "Harbor", "Horizon", "Iron", "Jade", "Keystone",
    "Lakeside", "Liberty", "Lighthouse", "Lunar", "Maple", "Meridian", "Metro", "Millennium", "Monarch",
    "Nexus", "North Star", "Nova", "Oakwood", "Omega", "Orbit", "Pacific", "Paramount", "Peak", "Pinnacle",
    "Pioneer", "Polar", "Prime", "Quantum", "Radiant", "Redwood", "Riverside", "Sapphire", "Silver",
    "Sierra", "Skyline", "Solar", "Sterling", "Stone", "Summit", "Sun", "Titan", "Trident", "Union",
    "United", "Vanguard", "Vertex", "Vista", "Westwind", "Zenith", "Zylker", "Altvet", "Lexpon",
    "Metbeat", "Northwind", "Contoso", "Fabrikam", "Initech", "Globex", "Umbrella", "Stark", "Wayne",
    "Hooli", "Vandelay", "Wonka", "Tyrell", "Soylent", "Cyberdyne", "Oceanic", "Massive", "Blackrock",
    "Greenfield", "Hillcrest", "Ironwood", "Kingsley", "Lumen", "Mosaic", "Nimbus", "Onyx", "Parallel",
)  # fmt: skip
COMPANY_BODY = (
    "Systems", "Technologies", "Solutions", "Industries", "Logistics", "Labs", "Software", "Networks",
    "Dynamics", "Analytics", "Foods", "Health", "Energy", "Capital", "Partners", "Consulting",
    "Manufacturing", "Media", "Pharma", "Robotics", "Motors", "Textiles", "Telecom", "Retail", "Data",
    "Security", "Ventures", "Holdings", "Group", "Digital", "Cloud", "Services", "Supply", "Electronics",
    "Engineering", "Construction", "Aerospace", "Biotech", "Instruments", "Materials", "Marine",
    "Insurance", "Finance", "Hospitality", "Education", "Design", "Interactive", "Devices", "Freight",
    "Chemicals", "Agritech", "Medical", "Outfitters", "Brands", "Studios",
)  # fmt: skip
COMPANY_FORM = ("Inc.", "LLC", "Ltd.", "Corp.", "Co.", "GmbH", "PLC", "", "", "", "")

JOB_TITLES = (
    "CEO", "CTO", "CFO", "COO", "VP Sales", "VP Marketing", "VP Engineering", "Sales Manager",
    "Marketing Manager", "Account Executive", "Account Manager", "Sales Representative",
    "Business Development Manager", "Operations Manager", "Product Manager", "Project Manager",
    "Software Engineer", "IT Manager", "IT Director", "Procurement Manager", "Purchasing Agent",
    "Office Manager", "HR Manager", "Finance Director", "Controller", "Consultant", "Analyst",
    "Director of Operations", "Head of Procurement", "Owner", "President", "General Manager",
    "Customer Success Manager", "Support Engineer", "Administrator", "Buyer", "Founder", "Partner",
)  # fmt: skip
DEPARTMENTS = (
    "Sales", "Marketing", "Finance", "Engineering", "Operations", "IT", "HR", "Procurement", "Support",
    "Legal", "Executive", "R&D", "Customer Success", "Logistics",
)  # fmt: skip
PERSONAL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "proton.me")
TLDS = ("com", "com", "com", "com", "io", "net", "co", "org", "biz", "tech")

# city, state, zip prefix (the rest of the zip is random digits), country, calling code, area codes
LOCATIONS: tuple[tuple[str, str, str, str, str, tuple[str, ...]], ...] = (
    ("New York", "NY", "100", "United States", "+1", ("212", "646", "917")),
    ("Los Angeles", "CA", "900", "United States", "+1", ("213", "310", "323")),
    ("Chicago", "IL", "606", "United States", "+1", ("312", "773")),
    ("Houston", "TX", "770", "United States", "+1", ("713", "281", "832")),
    ("Phoenix", "AZ", "850", "United States", "+1", ("602", "480")),
    ("Philadelphia", "PA", "191", "United States", "+1", ("215", "267")),
    ("San Antonio", "TX", "782", "United States", "+1", ("210",)),
    ("San Diego", "CA", "921", "United States", "+1", ("619", "858")),
    ("Dallas", "TX", "752", "United States", "+1", ("214", "469", "972")),
    ("San Jose", "CA", "951", "United States", "+1", ("408", "669")),
    ("Austin", "TX", "787", "United States", "+1", ("512", "737")),
    ("Seattle", "WA", "981", "United States", "+1", ("206", "425")),
    ("Denver", "CO", "802", "United States", "+1", ("303", "720")),
    ("Boston", "MA", "021", "United States", "+1", ("617", "857")),
    ("Atlanta", "GA", "303", "United States", "+1", ("404", "678")),
    ("Miami", "FL", "331", "United States", "+1", ("305", "786")),
    ("San Francisco", "CA", "941", "United States", "+1", ("415", "628")),
    ("Portland", "OR", "972", "United States", "+1", ("503", "971")),
    ("Minneapolis", "MN", "554", "United States", "+1", ("612",)),
    ("Nashville", "TN", "372", "United States", "+1", ("615", "629")),
    ("Charlotte", "NC", "282", "United States", "+1", ("704", "980")),
    ("Detroit", "MI", "482", "United States", "+1", ("313",)),
    ("Columbus", "OH", "432", "United States", "+1", ("614",)),
    ("Salt Lake City", "UT", "841", "United States", "+1", ("801", "385")),
    ("Toronto", "ON", "M5", "Canada", "+1", ("416", "647")),
    ("Vancouver", "BC", "V6", "Canada", "+1", ("604", "778")),
    ("Montreal", "QC", "H2", "Canada", "+1", ("514", "438")),
    ("London", "England", "EC1", "United Kingdom", "+44", ("20",)),
    ("Manchester", "England", "M1", "United Kingdom", "+44", ("161",)),
    ("Edinburgh", "Scotland", "EH1", "United Kingdom", "+44", ("131",)),
    ("Dublin", "Leinster", "D02", "Ireland", "+353", ("1",)),
    ("Berlin", "Berlin", "101", "Germany", "+49", ("30",)),
    ("Munich", "Bavaria", "803", "Germany", "+49", ("89",)),
    ("Hamburg", "Hamburg", "203", "Germany", "+49", ("40",)),
    ("Paris", "Ile-de-France", "750", "France", "+33", ("1",)),
    ("Lyon", "Auvergne-Rhone-Alpes", "690", "France", "+33", ("4",)),
    ("Amsterdam", "North Holland", "101", "Netherlands", "+31", ("20",)),
    ("Madrid", "Madrid", "280", "Spain", "+34", ("91",)),
    ("Milan", "Lombardy", "201", "Italy", "+39", ("02",)),
    ("Stockholm", "Stockholm", "111", "Sweden", "+46", ("8",)),
    ("Zurich", "Zurich", "80", "Switzerland", "+41", ("44",)),
    ("Chennai", "Tamil Nadu", "600", "India", "+91", ("44",)),
    ("Bengaluru", "Karnataka", "560", "India", "+91", ("80",)),
    ("Mumbai", "Maharashtra", "400", "India", "+91", ("22",)),
    ("New Delhi", "Delhi", "110", "India", "+91", ("11",)),
    ("Singapore", "Singapore", "01", "Singapore", "+65", ("6",)),
    ("Tokyo", "Tokyo", "100", "Japan", "+81", ("3",)),
    ("Osaka", "Osaka", "530", "Japan", "+81", ("6",)),
    ("Sydney", "NSW", "20", "Australia", "+61", ("2",)),
    ("Melbourne", "VIC", "30", "Australia", "+61", ("3",)),
    ("Dubai", "Dubai", "00", "United Arab Emirates", "+971", ("4",)),
    ("Sao Paulo", "SP", "010", "Brazil", "+55", ("11",)),
    ("Mexico City", "CDMX", "060", "Mexico", "+52", ("55",)),
)  # fmt: skip
# Relative frequency of each location (the US cities first, heavier).
LOCATION_WEIGHTS = tuple(6 if loc[3] == "United States" else 2 for loc in LOCATIONS)

STREET_NAMES = (
    "Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Sunset",
    "Highland", "Market", "Church", "Mill", "River", "Spring", "Broad", "Union", "Center", "Franklin",
    "Lincoln", "Madison", "Jefferson", "Harbor", "Meadow", "Forest", "Ridge", "Valley", "Bay",
    "Willow", "Chestnut", "Walnut", "King", "Queen", "Victoria", "High", "Station", "Mission", "Grand",
)  # fmt: skip
STREET_KINDS = ("St", "Ave", "Blvd", "Rd", "Ln", "Dr", "Way", "Ct", "Pl", "Pkwy")
STREET_UNITS = ("", "", "", "", "Suite 100", "Suite 220", "Floor 3", "Unit 12", "Building B", "Apt 4")

WORDS = (
    "customer", "pricing", "renewal", "contract", "integration", "onboarding", "support", "quote",
    "proposal", "demo", "budget", "timeline", "requirements", "stakeholder", "decision", "approval",
    "rollout", "pilot", "license", "upgrade", "migration", "training", "invoice", "payment", "delivery",
    "shipment", "discount", "feedback", "meeting", "follow-up", "team", "project", "quarter", "forecast",
    "pipeline", "opportunity", "partner", "account", "review", "security", "compliance", "workflow",
    "dashboard", "report", "analytics", "performance", "scale", "cloud", "platform", "feature",
    "roadmap", "priority", "risk", "issue", "solution", "product", "service", "order", "volume",
    "region", "market", "strategy", "campaign", "launch", "schedule", "legal", "terms", "signature",
)  # fmt: skip
SENTENCES = (
    "Discussed the {0} with the {1} team.",
    "Customer asked about {0} and {1}.",
    "Sent a revised {0} after the {1} call.",
    "Waiting on {0} approval before the {1}.",
    "The {0} is on track; next step is the {1}.",
    "Need to confirm {0} details and the {1} date.",
    "Follow up on the {0} next week.",
    "Raised a question about {0} during the {1}.",
    "Interested in the {0}, concerned about {1}.",
    "Agreed to a {0} review ahead of the {1}.",
)  # fmt: skip

DEAL_THINGS = (
    "CRM Rollout", "License Renewal", "Annual Subscription", "Platform Upgrade", "Support Contract",
    "Hardware Refresh", "Pilot Project", "Enterprise Agreement", "Data Migration", "Training Package",
    "Expansion", "Cloud Migration", "Analytics Add-on", "Security Audit", "Implementation Services",
    "Multi-year Deal", "Seat Expansion", "Integration Project", "Managed Services", "Consulting Block",
)  # fmt: skip
NEXT_STEPS = (
    "Schedule demo", "Send proposal", "Negotiate terms", "Get legal review", "Confirm budget",
    "Meet decision maker", "Send contract", "Technical evaluation", "Follow up call", "Site visit",
)  # fmt: skip
TASK_SUBJECTS = (
    "Call back", "Send quote", "Follow up", "Prepare proposal", "Send contract", "Schedule demo",
    "Email pricing details", "Review requirements", "Update account plan", "Send invoice reminder",
    "Confirm meeting", "Check payment status", "Prepare onboarding plan", "Collect feedback",
    "Renewal reminder", "Introduce support team",
)  # fmt: skip
EVENT_TITLES = (
    "Product demo", "Discovery meeting", "Quarterly business review", "Contract negotiation",
    "Kickoff meeting", "Onboarding session", "Lunch meeting", "Technical workshop", "Executive briefing",
    "Trade show booth", "Webinar", "Renewal discussion", "Site visit", "Training session",
)  # fmt: skip
CALL_SUBJECTS = (
    "Intro call", "Follow-up call", "Pricing discussion", "Demo follow-up", "Support call",
    "Check-in", "Renewal call", "Cold call", "Qualification call", "Reference call",
)  # fmt: skip
VENUES = ("Client office", "Our office", "Zoom", "Google Meet", "Microsoft Teams", "Conference room A",
          "Cafe downtown", "Hotel lobby", "Convention center")  # fmt: skip
CASE_SUBJECTS = (
    "Unable to log in", "Invoice amount incorrect", "Product not delivered", "Feature request: export",
    "Error when saving record", "Slow performance", "Need help with setup", "Integration failing",
    "Damaged item received", "Refund request", "Password reset not working", "Sync issue",
    "License key invalid", "Report shows wrong totals", "Question about billing",
)  # fmt: skip
CASE_SOLUTIONS = (
    "Reset the user's credentials.", "Issued a corrected invoice.", "Shipped a replacement.",
    "Applied the latest patch.", "Walked the customer through the setup.", "Refund processed.",
    "Reconfigured the integration.", "Escalated to engineering; fixed in release.",
)  # fmt: skip
CAMPAIGN_THEMES = (
    "Spring Launch", "Summer Promo", "Back to Business", "Holiday Special", "Year-End Push",
    "Product Webinar", "Partner Roadshow", "Customer Summit", "Trade Show", "Newsletter", "Win-back",
    "Referral Drive", "Free Trial", "Upgrade Offer", "Brand Awareness",
)  # fmt: skip
PRODUCT_ADJ = (
    "Pro", "Ultra", "Smart", "Eco", "Max", "Lite", "Prime", "Plus", "Edge", "Core", "Flex", "Nano",
    "Power", "Hyper", "Quantum", "Classic",
)  # fmt: skip
PRODUCT_NOUNS = (
    ("Laptop", "Hardware"), ("Monitor", "Hardware"), ("Router", "Hardware"), ("Server", "Hardware"),
    ("Printer", "Hardware"), ("Headset", "Hardware"), ("Keyboard", "Hardware"), ("Scanner", "Hardware"),
    ("Tablet", "Hardware"), ("Switch", "Hardware"), ("Antivirus", "Software"), ("Backup Suite", "Software"),
    ("Office Suite", "Software"), ("Analytics", "Software"), ("Firewall", "Software"),
    ("Design Studio", "Software"), ("CRM Edition", "CRM Applications"), ("Helpdesk", "CRM Applications"),
    ("Sales Hub", "CRM Applications"), ("Marketing Cloud", "CRM Applications"),
)  # fmt: skip
VENDOR_CATEGORIES = (
    "Hardware", "Software", "Logistics", "Office Supplies", "Services", "Components", "Packaging",
)  # fmt: skip
TAGS = ("Hot", "VIP", "Follow-up", "Partner", "Enterprise", "SMB", "Renewal", "Churn Risk", "Upsell")
TERRITORIES = ("North America", "EMEA", "APAC", "LATAM", "US West", "US East")
TEAMS = ("Enterprise", "Mid-Market", "SMB", "Inside Sales", "Channel")
ROLES = ("Sales Manager", "Sales Representative", "Marketing Manager", "Support Agent", "Account Manager")
PROFILES = ("Standard", "Standard", "Standard", "Sales", "Marketing", "Support")
TIME_ZONES = (
    "America/Los_Angeles", "America/New_York", "America/Chicago", "Europe/London", "Asia/Kolkata",
    "Europe/Berlin", "Australia/Sydney",
)  # fmt: skip
LOCALES = (("en_US", "en_US"), ("en_GB", "en_GB"), ("de_DE", "de_DE"), ("fr_FR", "fr_FR"), ("hi_IN", "en_IN"))
FILE_NAMES = ("contract.pdf", "signed_agreement.pdf", "proposal_v2.docx", "scope.pdf", "terms.pdf")
IMAGE_NAMES = ("photo.png", "front.jpg", "product.png", "box-shot.jpg")
# Rows per Lead in the demo org, and the least a module gets.
RATIOS: dict[str, tuple[float, int]] = {
    "Accounts": (0.2, 5), "Contacts": (0.4, 5), "Deals": (0.3, 5), "Tasks": (0.4, 5),
    "Events": (0.2, 5), "Calls": (0.2, 5), "Notes": (0.2, 5), "Products": (0.02, 20),
    "Quotes": (0.1, 5), "Sales_Orders": (0.06, 5), "Purchase_Orders": (0.04, 5), "Invoices": (0.08, 5),
    "Campaigns": (0.01, 10), "Cases": (0.1, 5), "Vendors": (0.01, 10),
}  # fmt: skip

# Generation order: a module after those it copies values from (other modules follow).
ORDER = (
    "Users", "Vendors", "Campaigns", "Accounts", "Products", "Contacts", "Leads", "Deals",
    "Deals_X_Products", "Quotes", "Quoted_Items", "Sales_Orders", "Purchase_Orders", "Invoices", "Cases",
    "Tasks", "Events", "Calls", "Notes",
)  # fmt: skip

# The field that names a record (the first one a module has), for lookups inside JSON values.
DISPLAY = (
    "Full_Name", "full_name", "Account_Name", "Deal_Name", "Product_Name", "Subject", "Campaign_Name",
    "Vendor_Name", "Event_Title", "Note_Title", "Name",
)  # fmt: skip

# Autonumber prefixes of the demo org (they start at 1000; an unknown autonumber: MOD-0001 ...).
AUTONUMBERS = {"Quote_Number": "QT-", "SO_Number": "SO-", "PO_Number": "PO-", "Invoice_Number": "INV-",
               "Case_Number": "CS-"}  # fmt: skip

# Multi-module lookups: activities point at deals, accounts and people more than at anything else., accounts and people more than at anything else.
RELATED = {"Deals": 4.0, "Accounts": 3.0, "Leads": 3.0, "Contacts": 3.0, "Cases": 1.0, "Quotes": 1.0}

# The generic path's share of nulls by data type (0 for those not listed).
NULLS = {
    "text": 0.25, "textarea": 0.45, "email": 0.2, "phone": 0.3, "website": 0.4, "multiselectpicklist": 0.4,
    "integer": 0.25, "bigint": 0.3, "double": 0.25, "decimal": 0.25, "currency": 0.2, "percent": 0.25,
    "date": 0.25, "datetime": 0.2, "lookup": 0.2, "userlookup": 0.3, "profileimage": 0.85, "imageupload": 0.6,
    "fileupload": 0.6, "territories": 0.4, "multiuserlookup": 0.5,
}  # fmt: skip

# The generic path's generator (a "how" of seed.py, and its argument) by data type (text, dates,
# lookups and picklists have their own code; a type not listed is null).
GENERIC: dict[str, tuple[str, Any]] = {
    "integer": ("count", (3.0, 1.5, 2**31 - 1)), "bigint": ("int", (10**9, 10**12 - 1)),
    "double": ("lognormal", (3.0, 1.5, 0.01)), "decimal": ("lognormal", (3.0, 1.5, 0.01)),
    "currency": ("lognormal", (8.0, 1.3, 0.01)), "percent": ("percent", None), "boolean": ("bool", 0.3),
    "multiselectpicklist": ("picklist", None), "profileimage": ("hex", None), "territories": ("territories", None),
    "imageupload": ("file", IMAGE_NAMES), "fileupload": ("file", FILE_NAMES),
}  # fmt: skip

# Words of a text field's label or API name that say what it holds (the first match wins).
TEXT_KINDS = (
    ("first name", "first"), ("last name", "last"), ("surname", "last"), ("full name", "full"),
    ("company", "company"), ("account", "company"), ("vendor", "company"), ("organization", "company"),
    ("city", "city"), ("state", "state"), ("province", "state"), ("country", "country"), ("zip", "zip"),
    ("postal", "zip"), ("street", "street"), ("address", "street"), ("title", "job"), ("designation", "job"),
    ("phone", "phone"), ("mobile", "phone"), ("email", "email"), ("website", "web"), ("url", "web"),
    ("code", "code"), ("number", "code"), ("id", "code"), ("name", "name"), ("subject", "name"),
)  # fmt: skip

# What the realistic generators make for a text field of the generic path, by the kind of text.
TEXT_HOWS: dict[str, tuple[str, Any]] = {
    "first": ("first", None), "last": ("last", None), "full": ("person", None), "company": ("company", None),
    "phone": ("phone", None), "email": ("email", 0.15), "web": ("website", None), "job": ("pick", JOB_TITLES),
}  # fmt: skip

# Pool builders (the caller passes a seeded RNG).


def slug(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


@functools.cache
def domain(company: str) -> str:
    forms = {f.rstrip(".") for f in COMPANY_FORM}
    words = [w for w in company.split() if w.rstrip(".") not in forms]
    return slug("".join(words)) + "." + TLDS[zlib.crc32(company.encode()) % len(TLDS)]


def companies(rng: random.Random, k: int) -> list[str]:
    """``k`` distinct company names (numbered once the word combinations run out)."""
    heads, bodies, forms = COMPANY_HEAD, COMPANY_BODY, COMPANY_FORM
    space = len(heads) * len(bodies) * len(forms)
    picks = rng.sample(range(space), min(k, space)) or [0]
    out = []
    for i in range(k):
        c = picks[i % len(picks)]
        name = f"{heads[c % len(heads)]} {bodies[c // len(heads) % len(bodies)]} {forms[c // len(heads) // len(bodies)]}"
        out.append(name.rstrip() if i < len(picks) else f"{name.rstrip()} {i // len(picks) + 1}")
    return out


def sentences(rng: random.Random, k: int, most: int = 3) -> list[str]:
    s, w = SENTENCES, WORDS
    return [" ".join(rng.choice(s).format(rng.choice(w), rng.choice(w)) for _ in range(rng.randint(1, most)))
            for _ in range(k)]  # fmt: skip


def products(rng: random.Random, k: int) -> list[tuple[str, str]]:
    """``k`` distinct product names ("Smart Laptop X340"), each with its category."""
    space = len(PRODUCT_ADJ) * len(PRODUCT_NOUNS) * 90
    picks = rng.sample(range(space), min(k, space)) or [0]
    out = []
    for i in range(k):
        c = picks[i % len(picks)]
        noun, category = PRODUCT_NOUNS[c // len(PRODUCT_ADJ) % len(PRODUCT_NOUNS)]
        name = f"{PRODUCT_ADJ[c % len(PRODUCT_ADJ)]} {noun} {'XSM'[c % 3]}{100 + 10 * (c // len(PRODUCT_ADJ) // len(PRODUCT_NOUNS))}"
        out.append((name if i < space else f"{name} v{i // space + 1}", category))
    return out


SITES = ("Headquarters", "Branch", "Regional Office", "Warehouse", "Plant")
SIC_CODES = (7372, 7373, 7374, 3571, 5045, 8742, 2834, 3674, 4813, 5961, 6282)
TERMS = ("Net 30. Prices exclude shipping.", "Payment due within 30 days of invoice.", "Valid for 30 days.")
PENDING = ("Awaiting stock", "Credit check", "Partial shipment")
NOTE_TITLES = (
    "Call summary",
    "Meeting notes",
    "Follow-up",
    "Pricing",
    "Requirements",
    "Next steps",
    "Feedback",
)
OPEN_STAGES = (
    "Qualification", "Needs Analysis", "Value Proposition", "Identify Decision Makers", "Proposal/Price Quote",
    "Negotiation/Review",
)  # fmt: skip
LOST_STAGES = ("Closed Lost", "Closed-Lost to Competition")
PROBABILITY = {
    "Qualification": 10, "Needs Analysis": 20, "Value Proposition": 40, "Identify Decision Makers": 60,
    "Proposal/Price Quote": 75, "Negotiation/Review": 90, "Closed Won": 100, "Closed Lost": 0,
    "Closed-Lost to Competition": 0,
}  # fmt: skip
# Picklist weights by field API name (values not listed weigh 1).
WEIGHTS: dict[str, dict[str, float]] = {
    "Lead_Status": {"Not Contacted": 6, "Attempted to Contact": 5, "Contacted": 5, "Contact in Future": 3,
                    "Pre-Qualified": 3, "Not Qualified": 2, "Lost Lead": 2, "Junk Lead": 1},
    "Lead_Source": {"Web Download": 5, "Advertisement": 4, "Cold Call": 4, "Online Store": 3, "Chat": 3,
                    "Employee Referral": 2, "Trade Show": 2, "Partner": 2},
    "Priority": {"Normal": 6, "High": 3, "Medium": 5, "Low": 2, "Highest": 1, "Lowest": 1},
    "Call_Type": {"Outbound": 6, "Inbound": 3, "Missed": 1},
    "Account_Type": {"Customer": 6, "Prospect": 5, "Partner": 2, "Reseller": 2, "Vendor": 1},
    "Type": {"New Business": 3, "Existing Business": 2},
    "Quote_Stage": {"Draft": 4, "Delivered": 4, "Negotiation": 3, "Confirmed": 3, "Closed Won": 2},
}  # fmt: skip

# Address groups: street, city, state, zip, country.
ADDRESS = {
    "": ("Street", "City", "State", "Zip_Code", "Country"),
    "Mailing": ("Mailing_Street", "Mailing_City", "Mailing_State", "Mailing_Zip", "Mailing_Country"),
    "Other": ("Other_Street", "Other_City", "Other_State", "Other_Zip", "Other_Country"),
    "Billing": ("Billing_Street", "Billing_City", "Billing_State", "Billing_Code", "Billing_Country"),
    "Shipping": ("Shipping_Street", "Shipping_City", "Shipping_State", "Shipping_Code", "Shipping_Country"),
    "user": ("street", "city", "state", "zip", "country"),
}

# Known fields: "Module.Field" or "Field" (several names split by spaces) -> (share of nulls, how,
# argument, condition). ``how`` names a generator of seed.py; the condition (column, values) keeps a
# value only where that column of the row holds one of the values.
_SPECS: dict[str, tuple[Any, ...]] = {
    # every module
    "Owner": (0, "owner"), "Created_By created_by": (0, "user", 0.6), "Modified_By": (0, "user", 0.5),
    "Created_Time created_time": (0, "time", "_created"), "Modified_Time": (0, "time", "_modified"),
    "Change_Log_Time__s": (0.5, "time", "_modified"), "Last_Activity_Time": (0.25, "last_activity"),
    "Locked__s": (0, "bool", 0.03), "Email_Opt_Out": (0, "bool", 0.07), "Tag": (0.65, "tags"),
    "Description": (0.45, "text", (500, 3)), "Record_Image": (0.85, "hex"), "Layout": (0, "layout"),
    "Territories": (0.4, "territories"), "$se_module": (0, "se_module"),
    "Unsubscribed_Mode": (0, "picklist", None, ("Email_Opt_Out", (1,))),
    "Unsubscribed_Time": (0, "unsubscribed", None, ("Email_Opt_Out", (1,))),
    # people
    "Salutation": (0.25, "salutation"), "First_Name first_name": (0.03, "first"),
    "Last_Name last_name": (0, "last"), "Full_Name full_name": (0, "full_name"),
    "Email": (0.12, "email", 0.15), "Secondary_Email": (0.8, "email", 1.0), "Users.email": (0, "email", 0.0),
    "Vendors.Email": (0.2, "role_email"), "Phone": (0.15, "phone"), "Mobile": (0.35, "phone"),
    "Fax": (0.75, "phone"), "Home_Phone": (0.7, "phone"), "Other_Phone": (0.85, "phone"),
    "Asst_Phone": (0.88, "phone"), "phone": (0.2, "phone"), "mobile": (0.3, "phone"), "fax": (0.9, "phone"),
    "Website website": (0.35, "website"), "Users.website": (0.95, "website"), "Skype_ID": (0.75, "skype"),
    "Twitter": (0.7, "twitter"), "Designation Contacts.Title": (0.2, "pick", JOB_TITLES),
    "Department": (0.4, "pick", DEPARTMENTS), "Assistant": (0.85, "someone"), "Cases.Reported_By": (0.3, "person"),
    "Date_of_Birth dob": (0.6, "dob"), "Passport_Number": (0.85, "format", ("P{}", 10**7, 10**8 - 1)),
    "Credit_Score": (0.7, "int", (300, 850)), "Contacts.Greeting": (0, "greeting"),
    # companies
    "Leads.Company": (0.03, "company"), "Accounts.Account_Name Vendors.Vendor_Name": (0, "company"),
    "No_of_Employees Employees": (0.3, "count", (3.8, 1.6, 250_000)),
    "Annual_Revenue": (0.35, "lognormal", (14.0, 1.4, 1000)), "Account_Site": (0.6, "pick", SITES),
    "Account_Number": (0.5, "format", ("{}", 10**7, 10**8 - 1)), "Ticker_Symbol": (0.88, "ticker"),
    "SIC_Code": (0.6, "pick", SIC_CODES), "Credit_Limit": (0.6, "lognormal", (10.5, 1.0, 1000)),
    "External": (0.7, "format", ("EXT-{:06d}", 1, 999_999)), "Customer_Since": (0.55, "before_created"),
    "Total_Deal_Amount Last_Won_Deal_Date": (0, "later"), "Customer_Number": (0.6, "int", (10**7, 10**8 - 1)),
    "Vendors.Category": (0.3, "pick", VENDOR_CATEGORIES),
    # leads
    "Leads.Converted__s": (0, "bool", 0.12), "Leads.Converted_Date_Time": (0, "converted"),
    "Leads.Lead_Conversion_Time": (0, "days_between", ("_created", "Converted_Date_Time")),
    "Days_Visited": (0, "visitor", (1, 30)), "Visitor_Score": (0, "visitor", (1, 5000)),
    "Average_Time_Spent_Minutes": (0, "visitor", (0.2, 25.0)), "First_Visited_Time": (0, "first_visit"),
    # deals
    "Deals.Deal_Name": (0, "title", ("{c} - {p}", DEAL_THINGS)), "Deals.Stage": (0, "stage"),
    "Deals.Probability": (0, "probability"), "Deals.Amount": (0.05, "lognormal", (9.8, 1.0, 50)),
    "Deals.Expected_Revenue Deals.Weighted_Amount": (0, "product", ("Amount", "Probability", 100)),
    "Deals.Closing_Date": (0, "closing"), "Deals.Follow_Up_Date": (0, "after", ("Closing_Date", 7, 7)),
    "Deals.Next_Step": (0.4, "pick", NEXT_STEPS, ("Stage", OPEN_STAGES)),
    "Deals.Reason_For_Loss__s": (0.1, "picklist", None, ("Stage", LOST_STAGES)),
    "Deals.Lead_Conversion_Time": (0.5, "int", (1, 90)),
    "Deals.Sales_Cycle_Duration": (0, "days_between", ("_created", "Closing_Date"), ("Stage", ("Closed Won", *LOST_STAGES))),
    "Deals.Overall_Sales_Duration": (0, "sum", ("Sales_Cycle_Duration", "+Lead_Conversion_Time")),
    "Deals.Contract_File": (0.4, "file", FILE_NAMES, ("Stage", ("Closed Won",))),
    # products and line items
    "Products.Product_Name": (0, "product_name"), "Products.Product_Category": (0.05, "product_category"),
    "Products.Product_Code": (0.05, "product_code"), "Products.Unit_Price": (0, "unit_price"),
    "Product_Active Taxable": (0, "bool", 0.85), "Commission_Rate": (0.5, "pick", (2.5, 5.0, 7.5, 10.0, 12.5, 15.0)),
    "Qty_in_Stock Qty_Ordered Qty_in_Demand": (0.3, "count", (4.0, 1.2, 50_000)),
    "Reorder_Level": (0.3, "pick", (5, 10, 10, 20, 25, 50, 100)), "Weight_Kg": (0.4, "lognormal", (0.5, 1.2, 0.001)),
    "Sales_Start_Date Support_Start_Date": (0.3, "after", ("_created", 0, 30)),
    "Sales_End_Date": (0.75, "after", ("_created", 400, 1500)),
    "Support_Expiry_Date": (0, "after", ("Support_Start_Date", 365, 1095)), "Product_Photo": (0.6, "file", IMAGE_NAMES),
    "Quoted_Items.Parent_Id": (0, "item_parent"), "Quoted_Items.Sequence_Number": (0, "sequence"),
    "Quoted_Items.Quantity": (0, "pick", (1.0, 1.0, 1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 10.0, 20.0, 25.0, 50.0)),
    "Quoted_Items.List_Price": (0, "list_price"), "Quoted_Items.Total": (0, "product", ("Quantity", "List_Price", 1)),
    "Quoted_Items.Discount": (0, "share", ("Total", (0, 0, 0, 0.05, 0.1, 0.15))),
    "Quoted_Items.Total_After_Discount": (0, "sum", ("Total", "-Discount")),
    "Quoted_Items.Tax": (0, "share", ("Total_After_Discount", (0, 0.05, 0.08, 0.1))),
    "Quoted_Items.Net_Total": (0, "sum", ("Total_After_Discount", "+Tax")),
    "Product_Description Internal_Comments": (0.75, "text", (200, 2)),
    # quotes, orders, invoices
    "Sub_Total": (0, "lognormal", (8.5, 1.0, 0.01)), "Discount": (0, "share", ("Sub_Total", (0, 0, 0, 0.05, 0.1))),
    "Tax": (0, "share", ("Sub_Total", (0, 0, 0.05, 0.08))), "Adjustment": (0, "pick", (0.0, 0.0, 0.0, 0.0, -10.0, 25.0)),
    "Grand_Total": (0, "sum", ("Sub_Total", "-Discount", "+Tax", "+Adjustment")),
    "Excise_Duty": (0.8, "share", ("Sub_Total", (0.02,))), "Sales_Commission": (0.6, "share", ("Sub_Total", (0.03, 0.05))),
    "Terms_and_Conditions": (0.6, "pick", TERMS), "Valid_Till": (0.1, "after", ("_created", 30, 30)),
    "PO_Date Invoice_Date": (0, "after", ("_created", 0, 0)), "Due_Date": (0.1, "after", ("_created", 15, 60)),
    "Team": (0.5, "pick", TEAMS), "Customer_No": (0.5, "format", ("CUST-{}", 10_000, 99_999)),
    "Purchase_Order": (0.6, "format", ("PO{}", 100_000, 999_999)),
    "Requisition_No": (0.5, "format", ("REQ-{}", 10_000, 99_999)),
    "Tracking_Number": (0.5, "format", ("1Z{:012d}", 0, 10**12 - 1)), "Pending": (0.9, "pick", PENDING),
    "Quotes.Subject": (0, "linked_title", ("Deal_Name", "Deals", "Quote - {c}")), "Sales_Orders.Subject": (0, "title", ("Order - {c}", None)),
    "Invoices.Subject": (0, "title", ("Invoice - {c}", None)), "Purchase_Orders.Subject": (0, "linked_title", ("Vendor_Name", "Vendors", "Purchase order {c}")),
    "Sales_Orders.Status Purchase_Orders.Status": (0.05, "by_age", ({"Created": 3, "Approved": 3}, {"Delivered": 8, "Cancelled": 1, "Approved": 1}, 45)),
    "Invoices.Status": (0.05, "by_age", ({"Created": 2, "Approved": 3, "Delivered": 2}, {"Paid": 8, "Delivered": 1, "Cancelled": 1}, 60)),
    "Invoices.Is_Overdue": (0, "overdue"),
    # campaigns and cases
    "Campaigns.Campaign_Name": (0, "title", ("{p} {y} - {r}", CAMPAIGN_THEMES)),
    "Campaigns.Start_Date": (0.05, "after", ("_created", 0, 30)), "Campaigns.End_Date": (0.05, "after", ("Start_Date", 14, 120)),
    "Campaigns.Status": (0, "campaign_status"), "Campaigns.Expected_Revenue": (0.3, "lognormal", (10.5, 1.0, 100)),
    "Budgeted_Cost": (0.2, "lognormal", (8.5, 0.8, 100)), "Actual_Cost": (0, "share", ("Budgeted_Cost", (0.7, 0.9, 1.0, 1.1, 1.2)), ("Status", ("Complete",))),
    "Expected_Response": (0.3, "int", (10, 500)), "Num_sent": (0.3, "count", (8.0, 1.0, 1_000_000)),
    "Cases.Subject": (0, "pick", CASE_SUBJECTS), "Cases.Case_Origin": (0, "picklist"),
    "Cases.Status": (0, "by_age", ({"New": 4, "On Hold": 1, "Escalated": 1, "Closed": 2}, {"Closed": 9, "On Hold": 1}, 30)),
    "Cases.Solution": (0.3, "pick", CASE_SOLUTIONS, ("Status", ("Closed",))), "Cases.Age_in_Days": (0, "age"),
    "No_of_comments": (0, "int", (0, 12)),
    # users
    "Users.role": (0, "first_user", ("CEO", ROLES)), "Users.profile": (0, "first_user", ("Administrator", PROFILES)),
    "Users.status": (0, "first_user", ("active", ("active",) * 9 + ("inactive",))), "Users.alias": (0.6, "alias"),
    "Users.Reporting_To": (0, "manager"), "Users.time_zone": (0, "pick", TIME_ZONES),
    "Users.language": (0, "locale", 0), "Users.locale": (0, "locale", 1), "Isonline": (0, "bool", 0.2),
    # activities
    "Tasks.Subject": (0, "pick", TASK_SUBJECTS), "Calls.Subject": (0, "pick", CALL_SUBJECTS),
    "Tasks.Due_Date": (0.1, "after", ("_created", 0, 21)),
    "Tasks.Status": (0, "by_age", ({"Not Started": 4, "In Progress": 3, "Waiting for input": 1, "Completed": 2}, {"Completed": 8, "Deferred": 1, "Not Started": 1}, 21)),
    "Tasks.Closed_Time": (0, "time", "_modified", ("Status", ("Completed",))), "Send_Notification_Email": (0, "bool", 0.2),
    "Events.Event_Title": (0, "title", ("{p} - {c}", EVENT_TITLES)), "Venue": (0.3, "pick", VENUES),
    "All_day": (0, "bool", 0.08), "Events.Start_DateTime": (0, "when", 0), "Events.End_DateTime": (0, "when", 1),
    "Check_In_Time": (0, "check_in", 0), "Check_In_City": (0, "check_in", 1), "Check_In_Address": (0, "check_in", 2),
    "Calls.Call_Type": (0, "picklist"), "Calls.Call_Start_Time": (0, "call_start"),
    "Calls.Outgoing_Call_Status": (0, "pick", ("Completed",) * 18 + ("Cancelled", "Overdue"), ("Call_Type", ("Outbound",))),
    "Calls.Call_Duration_in_seconds": (0, "call_seconds"), "Calls.Call_Duration": (0, "call_duration"),
    "Calls.Call_Result": (0.3, "call_result"), "Calls.Call_Agenda": (0.6, "text", (100, 1)),
    "Calls.Caller_ID": (0, "phone", None, ("Call_Type", ("Inbound",))),
    "Calls.Dialled_Number": (0, "phone", None, ("Call_Type", ("Outbound",))),
    "Notes.Note_Title": (0, "pick", NOTE_TITLES), "Notes.Note_Content": (0, "text", (1000, 4)),
    # lookups: an existing id (a self-lookup: an earlier row), or copied from a linked record
    "Contacts.Account_Name": (0.1, "lookup"), "Contacts.Vendor_Name": (0.92, "lookup"),
    "Contacts.Reporting_To": (0.85, "lookup"), "Parent_Account": (0.88, "lookup"), "Deals.Contact_Name": (0.2, "lookup"),
    "Campaign_Source": (0.8, "lookup"), "Quotes.Deal_Name": (0.3, "lookup"), "Sales_Orders.Quote_Name": (0.4, "lookup"),
    "Invoices.Sales_Order": (0.3, "lookup"), "Purchase_Orders.Contact_Name": (0.6, "lookup"),
    "Purchase_Orders.Vendor_Name": (0, "lookup"),
    "Cases.Product_Name": (0.4, "lookup"), "Cases.Account_Name": (0.2, "lookup"), "Cases.Related_To": (0.3, "lookup"),
    "Cases.Deal_Name": (0.8, "lookup"), "Products.Vendor_Name": (0.2, "lookup"), "Handler": (0.5, "lookup"),
    "Reviewer": (0.7, "lookup"), "Parent_Campaign": (0.85, "lookup"), "Who_Id": (0.4, "lookup"),
    "Deals.Account_Name": (0, "copy", (0.1, ("Contact_Name", "Contacts", "Account_Name"))),
    "Quotes.Account_Name": (0, "copy", (0.0, ("Deal_Name", "Deals", "Account_Name"))),
    "Quotes.Contact_Name": (0, "copy", (0.4, ("Deal_Name", "Deals", "Contact_Name"))),
    "Sales_Orders.Deal_Name": (0, "copy", (0.6, ("Quote_Name", "Quotes", "Deal_Name"))),
    "Sales_Orders.Account_Name": (0, "copy", (0.0, ("Quote_Name", "Quotes", "Account_Name"), ("Deal_Name", "Deals", "Account_Name"))),
    "Sales_Orders.Contact_Name": (0, "copy", (0.4, ("Quote_Name", "Quotes", "Contact_Name"))),
    "Invoices.Deal_Name__s": (0, "copy", (0.6, ("Sales_Order", "Sales_Orders", "Deal_Name"))),
    "Invoices.Account_Name": (0, "copy", (0.0, ("Sales_Order", "Sales_Orders", "Account_Name"))),
    "Invoices.Contact_Name": (0, "copy", (0.4, ("Sales_Order", "Sales_Orders", "Contact_Name"))),
    # picklists with Zoho's weights or a realistic share of nulls
    "Lead_Source": (0.15, "picklist"), "Lead_Status": (0.05, "picklist"), "Industry": (0.25, "picklist"),
    "Rating": (0.4, "picklist"), "Account_Type": (0.1, "picklist"), "Ownership": (0.5, "picklist"),
    "Support_Tier": (0.6, "picklist"), "Type": (0.1, "picklist"), "Priority": (0.05, "picklist"),
    "Carrier": (0.3, "picklist"), "Case_Reason": (0.4, "picklist"), "GL_Account": (0.3, "picklist"),
    "Call_Purpose": (0.3, "picklist"), "Manufacturer": (0.3, "picklist"), "Usage_Unit": (0.3, "picklist"),
    "Quote_Stage Pipeline Tasks.Priority": (0, "picklist"), "Languages_Spoken Interests": (0.5, "picklist"),
    "Products.Tax": (0.3, "picklist"),
}  # fmt: skip
_SPECS[" ".join(name for names in ADDRESS.values() for name in names)] = (0, "address")
SPECS: dict[str, tuple[Any, ...]] = {name: spec for names, spec in _SPECS.items() for name in names.split()}
