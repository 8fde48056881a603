/**
 * The built-in world map: which region a country belongs to, and where each region is.
 * The tables are the original gateway's, so that a deployment moving over keeps its routing.
 */

/** Built-in regions and the city their coordinates (degrees latitude, longitude) stand for. */
export const REGION_COORDINATES: ReadonlyMap<string, readonly [number, number]> = new Map([
  ["eu-west", [48.8, 2.3]], // Paris
  ["eu-north", [59.3, 18.0]], // Stockholm
  ["eu-central", [52.5, 13.4]], // Berlin
  ["eu-south", [41.9, 12.5]], // Rome
  ["us-east", [39.0, -77.0]], // Virginia
  ["sa-east", [-23.5, -46.6]], // São Paulo
  ["sa-west", [-33.4, -70.6]], // Santiago
  ["ap-northeast", [35.7, 139.7]], // Tokyo
  ["ap-east", [31.2, 121.5]], // Shanghai
  ["ap-southeast", [1.3, 103.8]], // Singapore
  ["ap-south", [19.0, 72.8]], // Mumbai
  ["me-south", [25.3, 55.3]], // Dubai
  ["af-south", [-26.2, 28.0]], // Johannesburg
]);

const COUNTRIES_BY_REGION: Readonly<Record<string, string>> = {
  "eu-west": "FR DE GB ES IT NL BE PT IE AT CH LU MC AD MT SM VA LI",
  "eu-north": "SE NO DK FI IS EE LV LT",
  "eu-central": "PL CZ SK HU RO BG HR SI RS BA ME MK AL XK MD UA BY RU KZ UZ TM KG TJ AZ GE AM",
  "eu-south": "GR TR CY EG LY TN DZ MA",
  "us-east": "US CA MX GT BZ SV HN NI CR PA CU JM HT DO PR TT BB BS",
  "sa-east": "BR AR UY PY VE CO GY SR GF",
  "sa-west": "CL PE EC BO",
  "ap-northeast": "JP KR TW HK MO",
  "ap-east": "CN",
  "ap-southeast": "SG MY TH VN ID PH MM KH LA BN AU NZ FJ PG NC VU WS TO",
  "ap-south": "IN PK BD LK NP BT MV",
  "me-south": "AE SA QA KW BH OM IL JO LB IQ IR YE",
  "af-south": "ZA NG KE GH TZ UG ET SN CI CM AO ZW ZM MZ BW NA RW MU MG",
};

const REGION_OF_COUNTRY: ReadonlyMap<string, string> = new Map(
  Object.entries(COUNTRIES_BY_REGION).flatMap(([region, codes]) =>
    codes.split(" ").map((code) => [code, region] as const),
  ),
);

/** The region of an ISO 3166-1 alpha-2 country code (any case), or undefined when the code is not in the table. */
export function regionOfCountry(country: string): string | undefined {
  if (country.length !== 2) return undefined;
  return REGION_OF_COUNTRY.get(country.toUpperCase());
}

/** Great-circle distance in kilometres between two points given in degrees (haversine, R = 6371 km). */
export function distanceKm(a: readonly [number, number], b: readonly [number, number]): number {
  const rad = Math.PI / 180;
  const dLat = (b[0] - a[0]) * rad;
  const dLon = (b[1] - a[1]) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[0] * rad) * Math.cos(b[0] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Of `candidates`, those with built-in coordinates, nearest to `from` first (ties keep the given order).
 * `from` itself is included when it is a candidate. An empty list when `from` has no coordinates.
 */
export function regionsByDistance(from: string, candidates: readonly string[]): string[] {
  const origin = REGION_COORDINATES.get(from);
  if (origin === undefined) return [];
  return candidates
    .flatMap((region, index) => {
      const at = REGION_COORDINATES.get(region);
      return at === undefined ? [] : [{ region, index, km: distanceKm(origin, at) }];
    })
    .sort((x, y) => x.km - y.km || x.index - y.index)
    .map((entry) => entry.region);
}
