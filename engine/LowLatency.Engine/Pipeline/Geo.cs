namespace LowLatency.Engine.Pipeline;

/// <summary>Great-circle distance, for velocity features.</summary>
public static class Geo
{
    private const double EarthRadiusKm = 6371.0088; // mean radius (IUGG)

    /// <summary>Haversine distance in km between two points given in degrees.</summary>
    public static double HaversineKm(double lat1, double lon1, double lat2, double lon2)
    {
        const double Rad = Math.PI / 180;
        double dLat = (lat2 - lat1) * Rad;
        double dLon = (lon2 - lon1) * Rad;
        double a = (Math.Sin(dLat / 2) * Math.Sin(dLat / 2)) + (Math.Cos(lat1 * Rad) * Math.Cos(lat2 * Rad) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2));
        return 2 * EarthRadiusKm * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }
}
