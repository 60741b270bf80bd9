using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using LowLatency.Models.Trees;

namespace LowLatency.Benchmarks;

/// <summary>
/// Minimal P/Invoke surface of xgboost's C API (libxgboost), used only to benchmark against the real
/// library. Functions are resolved at run time from the first library that loads: $LOWLAT_LIBXGBOOST,
/// python3-xgboost's bundled copy (1.7.4 on Debian 12, the version the fixtures come from), then the
/// system libxgboost0. Every call checks the return code and throws with XGBGetLastError's text.
/// </summary>
internal sealed unsafe class XGBoostNative : IDisposable
{
    private static readonly string[] Candidates =
    [
        Environment.GetEnvironmentVariable("LOWLAT_LIBXGBOOST") ?? string.Empty,
        "/usr/lib/python3/dist-packages/xgboost/lib/libxgboost.so",
        "/usr/lib/x86_64-linux-gnu/libxgboost.so.0",
    ];

    private readonly nint _lib;
    private readonly delegate* unmanaged<nint*, ulong, nint*, int> _create;
    private readonly delegate* unmanaged<nint, void*, ulong, int> _loadFromBuffer;
    private readonly delegate* unmanaged<nint, byte*, byte*, int> _setParam;
    private readonly delegate* unmanaged<nint, byte*, byte*, nint, ulong**, ulong*, float**, int> _predictFromDense;
    private readonly delegate* unmanaged<nint, int> _free;
    private readonly delegate* unmanaged<byte*> _lastError;
    private nint _booster;

    public XGBoostNative(string modelJson)
    {
        _lib = Candidates.Where(p => p.Length > 0 && File.Exists(p)).Select(p => NativeLibrary.TryLoad(p, out var h) ? h : 0).FirstOrDefault(h => h != 0);
        if (_lib == 0)
        {
            throw new InvalidOperationException("libxgboost not found: install python3-xgboost or libxgboost0, or set LOWLAT_LIBXGBOOST.");
        }

        LibraryPath = Candidates.First(p => p.Length > 0 && File.Exists(p));
        _create = (delegate* unmanaged<nint*, ulong, nint*, int>)NativeLibrary.GetExport(_lib, "XGBoosterCreate");
        _loadFromBuffer = (delegate* unmanaged<nint, void*, ulong, int>)NativeLibrary.GetExport(_lib, "XGBoosterLoadModelFromBuffer");
        _setParam = (delegate* unmanaged<nint, byte*, byte*, int>)NativeLibrary.GetExport(_lib, "XGBoosterSetParam");
        _predictFromDense = (delegate* unmanaged<nint, byte*, byte*, nint, ulong**, ulong*, float**, int>)NativeLibrary.GetExport(_lib, "XGBoosterPredictFromDense");
        _free = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(_lib, "XGBoosterFree");
        _lastError = (delegate* unmanaged<byte*>)NativeLibrary.GetExport(_lib, "XGBGetLastError");

        nint booster;
        Check(_create(null, 0, &booster));
        _booster = booster;
        byte[] json = Encoding.UTF8.GetBytes(modelJson);
        fixed (byte* p = json)
        {
            Check(_loadFromBuffer(_booster, p, (ulong)json.Length));
        }

        // One thread: the comparison is per-thread throughput.
        fixed (byte* k = "nthread\0"u8, v = "1\0"u8)
        {
            Check(_setParam(_booster, k, v));
        }
    }

    public string LibraryPath { get; }

    /// <summary>
    /// Builds the NUL-terminated array-interface string for a pinned row-major float32 matrix; xgboost
    /// reads the data pointer out of it, so it is made once and reused for every call.
    /// </summary>
    public static byte[] ArrayInterface(float* data, int rows, int columns) => Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
        $"{{\"data\": [{(ulong)data}, true], \"shape\": [{rows}, {columns}], \"typestr\": \"<f4\", \"version\": 3}}\0"));

    /// <summary>Prediction config: type 1 = margin, NaN = missing (as Python's inplace_predict sends it).</summary>
    public static byte[] MarginConfig { get; } = Encoding.ASCII.GetBytes(
        "{\"type\": 1, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, \"strict_shape\": false, \"missing\": NaN, \"cache_id\": 0}\0");

    /// <summary>In-place prediction on a dense matrix; returns xgboost's result buffer (valid until the next call).</summary>
    public ReadOnlySpan<float> PredictDense(byte* arrayInterface, byte* config, int rows)
    {
        ulong* shape;
        ulong dim;
        float* result;
        Check(_predictFromDense(_booster, arrayInterface, config, 0, &shape, &dim, &result));
        return new ReadOnlySpan<float>(result, rows);
    }

    public void Dispose()
    {
        if (_booster != 0)
        {
            _free(_booster);
            _booster = 0;
        }
    }

    private void Check(int rc)
    {
        if (rc != 0)
        {
            throw new InvalidOperationException("xgboost: " + Marshal.PtrToStringUTF8((nint)_lastError()));
        }
    }

    /// <summary>
    /// Writes an ensemble in the XGBoost 1.7 JSON model schema (binary:logistic, base_score 0.5 = margin 0),
    /// so libxgboost scores exactly the trees we do. Only for sum-aggregated, numeric-split ensembles with base margin 0.
    /// </summary>
    public static string ToXGBoostJson(TreeEnsemble e)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("{\"learner\":{\"attributes\":{},\"feature_names\":[],\"feature_types\":[],\"gradient_booster\":{\"model\":{\"gbtree_model_param\":{\"num_parallel_tree\":\"1\",\"num_trees\":\"")
            .Append(e.TreeCount.ToString(inv)).Append("\",\"size_leaf_vector\":\"0\"},\"tree_info\":[")
            .Append(string.Join(',', Enumerable.Repeat("0", e.TreeCount))).Append("],\"trees\":[");
        var specs = e.ToSpecs();
        for (int t = 0; t < specs.Count; t++)
        {
            var s = specs[t];
            int n = s.NodeCount;
            var parents = new int[n];
            parents[0] = int.MaxValue;
            for (int i = 0; i < n; i++)
            {
                if (s.Left[i] >= 0)
                {
                    parents[s.Left[i]] = i;
                    parents[s.Right[i]] = i;
                }
            }

            // E9: always a JSON float (xgboost rejects an integer literal where it expects a number) and round-trips float32.
            string Floats(Func<int, float> f) => string.Join(',', Enumerable.Range(0, n).Select(i => f(i).ToString("E9", inv)));
            string Ints(Func<int, int> f) => string.Join(',', Enumerable.Range(0, n).Select(i => f(i).ToString(inv)));
            if (t > 0)
            {
                sb.Append(',');
            }

            sb.Append("{\"base_weights\":[").Append(Floats(_ => 0f))
                .Append("],\"categories\":[],\"categories_nodes\":[],\"categories_segments\":[],\"categories_sizes\":[],\"default_left\":[").Append(Ints(i => s.DefaultLeft[i] ? 1 : 0))
                .Append("],\"id\":").Append(t.ToString(inv))
                .Append(",\"left_children\":[").Append(Ints(i => s.Left[i]))
                .Append("],\"loss_changes\":[").Append(Floats(_ => 0f))
                .Append("],\"parents\":[").Append(Ints(i => parents[i]))
                .Append("],\"right_children\":[").Append(Ints(i => s.Right[i]))
                .Append("],\"split_conditions\":[").Append(Floats(i => s.Left[i] < 0 ? s.LeafValue[i] : s.Threshold[i]))
                .Append("],\"split_indices\":[").Append(Ints(i => s.Left[i] < 0 ? 0 : s.Feature[i]))
                .Append("],\"split_type\":[").Append(Ints(_ => 0))
                .Append("],\"sum_hessian\":[").Append(Floats(i => s.Cover![i]))
                .Append("],\"tree_param\":{\"num_deleted\":\"0\",\"num_feature\":\"").Append(e.FeatureCount.ToString(inv))
                .Append("\",\"num_nodes\":\"").Append(n.ToString(inv)).Append("\",\"size_leaf_vector\":\"0\"}}");
        }

        sb.Append("]},\"name\":\"gbtree\"},\"learner_model_param\":{\"base_score\":\"5E-1\",\"boost_from_average\":\"1\",\"num_class\":\"0\",\"num_feature\":\"")
            .Append(e.FeatureCount.ToString(inv))
            .Append("\",\"num_target\":\"1\"},\"objective\":{\"name\":\"binary:logistic\",\"reg_loss_param\":{\"scale_pos_weight\":\"1\"}}},\"version\":[1,7,4]}");
        return sb.ToString();
    }
}
