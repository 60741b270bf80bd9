namespace LowLatency.Host.Tests;

public sealed class MachineNotesTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "llnotes-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private void Daemon(string name, string state)
    {
        Directory.CreateDirectory(Path.Combine(_dir, name));
        File.WriteAllText(Path.Combine(_dir, name, "state"), state + "\n");
    }

    [Fact]
    public void A_running_damon_daemon_is_named_and_stopped_or_absent_ones_are_not()
    {
        Assert.Empty(MachineNotes.Collect(_dir, 2)); // no such directory: a kernel without DAMON
        Daemon("0", "off");
        Assert.Empty(MachineNotes.Collect(_dir, 2));
        Daemon("1", "on");
        string note = Assert.Single(MachineNotes.Collect(_dir, 2));
        Assert.StartsWith("1 kernel DAMON daemon is running", note, StringComparison.Ordinal);
        Daemon("2", "on");
        Assert.StartsWith("2 kernel DAMON daemons are running", Assert.Single(MachineNotes.Collect(_dir, 2)), StringComparison.Ordinal);
    }

    [Fact]
    public void One_processor_is_noted()
    {
        Assert.Contains(MachineNotes.Collect(_dir, 1), n => n.StartsWith("1 processor", StringComparison.Ordinal));
    }
}
