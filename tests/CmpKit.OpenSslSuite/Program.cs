using CmpKit.OpenSslSuite;

SuiteOptions options;
try
{
    options = SuiteOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"CmpKit.OpenSslSuite: {e.Message}");
    Console.Error.WriteLine(SuiteOptions.Usage);
    return 2;
}

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};
Console.Out.Flush();
var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
SuiteResult result = await new SuiteRunner(options, stdout).RunAsync(cts.Token);
return result.Success ? 0 : result.Aspects.Count == 0 ? 2 : 1; // 2: no suite to run
