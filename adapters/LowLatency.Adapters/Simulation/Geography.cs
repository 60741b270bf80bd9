using LowLatency.Engine.Events;

namespace LowLatency.Adapters.Simulation;

/// <summary>The simulator's world: countries with their currency and a few city coordinates, and merchant categories.</summary>
internal static class Geography
{
    /// <summary>A country: ISO 3166 numeric, ISO 4217 numeric currency, share of cardholders, cities (lat, lon).</summary>
    internal sealed record Country(ushort Iso, ushort Currency, double CardShare, (double Lat, double Lon)[] Cities);

    internal static readonly Country[] Countries =
    [
        new(826, 826, 0.30, [(51.507, -0.128), (53.480, -2.242), (55.953, -3.188)]),  // United Kingdom
        new(250, 978, 0.20, [(48.857, 2.352), (45.764, 4.836), (43.296, 5.370)]),     // France
        new(276, 978, 0.20, [(52.520, 13.405), (48.137, 11.575), (53.551, 9.994)]),   // Germany
        new(840, 840, 0.25, [(40.713, -74.006), (34.052, -118.244), (41.878, -87.630)]), // United States
        new(392, 392, 0.05, [(35.682, 139.692), (34.694, 135.502)]),                   // Japan
        new(76, 986, 0.00, [(-23.550, -46.633), (-22.907, -43.173)]),                  // Brazil
        new(566, 566, 0.00, [(6.524, 3.379), (9.058, 7.495)]),                         // Nigeria
        new(356, 356, 0.00, [(19.076, 72.878), (28.614, 77.209)]),                     // India
    ];

    /// <summary>A merchant category: MCC, log-normal amount (ln of major units), how it is paid, relative frequency.</summary>
    internal sealed record Category(ushort Mcc, double AmountMu, double AmountSigma, Channel Channel, double Share);

    internal static readonly Category[] Categories =
    [
        new(5411, 3.3, 0.6, Channel.Pos, 0.25),       // grocery
        new(5812, 3.4, 0.5, Channel.Pos, 0.15),       // restaurants
        new(5541, 3.8, 0.3, Channel.Pos, 0.08),       // fuel
        new(4111, 2.3, 0.5, Channel.Pos, 0.08),       // transport
        new(5311, 4.0, 0.8, Channel.Pos, 0.07),       // department stores
        new(5999, 3.7, 0.9, Channel.Ecommerce, 0.12), // misc retail online
        new(5732, 5.0, 0.9, Channel.Ecommerce, 0.06), // electronics online
        new(4814, 3.5, 0.4, Channel.Ecommerce, 0.07), // telecom
        new(7011, 5.3, 0.6, Channel.Ecommerce, 0.04), // hotels
        new(6011, 4.5, 0.6, Channel.Atm, 0.05),       // ATM cash
        new(5815, 2.5, 0.7, Channel.InApp, 0.03),     // digital goods in apps
    ];

    /// <summary>Index of every (country, city) pair: cardholders live in one and pay in person there.</summary>
    internal static readonly (int Country, int City)[] RegionList =
        [.. Countries.SelectMany((c, ci) => c.Cities.Select((_, city) => (ci, city)))];

    /// <summary>The crypto category the post-drift fraud pattern uses; genuine traffic there is rare.</summary>
    internal static readonly Category Crypto = new(6051, 5.5, 0.8, Channel.InApp, 0.0);
}

/// <summary>Numbers the (country, city) regions.</summary>
internal static class Regions
{
    private static readonly int[] FirstOfCountry = BuildFirst();

    /// <summary>Number of regions.</summary>
    public static int Count => Geography.RegionList.Length;

    /// <summary>The region index of a country's city.</summary>
    public static int Region(int country, int city) => FirstOfCountry[country] + city;

    /// <summary>The country of a region.</summary>
    public static int CountryOf(int region) => Geography.RegionList[region].Country;

    private static int[] BuildFirst()
    {
        var first = new int[Geography.Countries.Length];
        for (int c = 1; c < first.Length; c++)
        {
            first[c] = first[c - 1] + Geography.Countries[c - 1].Cities.Length;
        }

        return first;
    }
}
