/**
 * A customer's time zone from their default address, for quiet hours: Shopify's addresses carry a
 * country and province code but no zone. A country with one zone (or one most of its people live
 * in) maps directly; the United States, Canada, Australia and Brazil go by state or province. An
 * address not listed here falls back to the shop's own zone.
 */
const COUNTRIES: Readonly<Record<string, string>> = {
  JP: 'Asia/Tokyo',
  KR: 'Asia/Seoul',
  CN: 'Asia/Shanghai',
  TW: 'Asia/Taipei',
  HK: 'Asia/Hong_Kong',
  SG: 'Asia/Singapore',
  MY: 'Asia/Kuala_Lumpur',
  TH: 'Asia/Bangkok',
  VN: 'Asia/Ho_Chi_Minh',
  PH: 'Asia/Manila',
  ID: 'Asia/Jakarta',
  IN: 'Asia/Kolkata',
  AE: 'Asia/Dubai',
  IL: 'Asia/Jerusalem',
  TR: 'Europe/Istanbul',
  GB: 'Europe/London',
  IE: 'Europe/Dublin',
  PT: 'Europe/Lisbon',
  ES: 'Europe/Madrid',
  FR: 'Europe/Paris',
  BE: 'Europe/Brussels',
  NL: 'Europe/Amsterdam',
  LU: 'Europe/Luxembourg',
  DE: 'Europe/Berlin',
  CH: 'Europe/Zurich',
  AT: 'Europe/Vienna',
  IT: 'Europe/Rome',
  DK: 'Europe/Copenhagen',
  NO: 'Europe/Oslo',
  SE: 'Europe/Stockholm',
  FI: 'Europe/Helsinki',
  PL: 'Europe/Warsaw',
  CZ: 'Europe/Prague',
  HU: 'Europe/Budapest',
  GR: 'Europe/Athens',
  RO: 'Europe/Bucharest',
  UA: 'Europe/Kyiv',
  RU: 'Europe/Moscow',
  ZA: 'Africa/Johannesburg',
  NG: 'Africa/Lagos',
  EG: 'Africa/Cairo',
  KE: 'Africa/Nairobi',
  MX: 'America/Mexico_City',
  AR: 'America/Argentina/Buenos_Aires',
  CL: 'America/Santiago',
  CO: 'America/Bogota',
  PE: 'America/Lima',
  NZ: 'Pacific/Auckland',
};

const US_PACIFIC = ['CA', 'WA', 'OR', 'NV'];
const US_MOUNTAIN = ['CO', 'UT', 'NM', 'WY', 'MT', 'ID'];
const US_CENTRAL = [
  'TX',
  'IL',
  'MN',
  'WI',
  'IA',
  'MO',
  'AR',
  'LA',
  'MS',
  'AL',
  'OK',
  'KS',
  'NE',
  'SD',
  'ND',
  'TN',
];
const byProvince = (groups: readonly [string, readonly string[]][]) =>
  Object.fromEntries(groups.flatMap(([zone, codes]) => codes.map((code) => [code, zone])));

const PROVINCES: Readonly<Record<string, { zones: Readonly<Record<string, string>>; otherwise: string }>> = {
  US: {
    zones: byProvince([
      ['America/Los_Angeles', US_PACIFIC],
      ['America/Denver', US_MOUNTAIN],
      ['America/Phoenix', ['AZ']],
      ['America/Chicago', US_CENTRAL],
      ['America/Anchorage', ['AK']],
      ['Pacific/Honolulu', ['HI']],
    ]),
    otherwise: 'America/New_York',
  },
  CA: {
    zones: byProvince([
      ['America/Vancouver', ['BC']],
      ['America/Edmonton', ['AB']],
      ['America/Regina', ['SK']],
      ['America/Winnipeg', ['MB']],
      ['America/Halifax', ['NS', 'NB', 'PE']],
      ['America/St_Johns', ['NL']],
    ]),
    otherwise: 'America/Toronto',
  },
  AU: {
    zones: byProvince([
      ['Australia/Perth', ['WA']],
      ['Australia/Adelaide', ['SA']],
      ['Australia/Darwin', ['NT']],
      ['Australia/Brisbane', ['QLD']],
      ['Australia/Hobart', ['TAS']],
    ]),
    otherwise: 'Australia/Sydney',
  },
  BR: { zones: byProvince([['America/Manaus', ['AM']]]), otherwise: 'America/Sao_Paulo' },
};

/** The zone of an address (ISO country, Shopify province code), or null when this table has none. */
export const zoneOfAddress = (countryCode: string | null, provinceCode: string | null): string | null => {
  if (!countryCode) return null;
  const provinces = PROVINCES[countryCode];
  if (provinces) return (provinceCode && provinces.zones[provinceCode]) || provinces.otherwise;
  return COUNTRIES[countryCode] ?? null;
};
