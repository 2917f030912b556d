using System.Net;
using System.Net.Http.Headers;
using System.Text;
using CmpKit.Server;
using CmpKit.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CmpKit.Tests.Server.Http;

/// <summary><see cref="CmpEndpointRouteBuilderExtensions.MapCmp"/> in an application of one's own, beside other endpoints.</summary>
public class MapCmpTests
{
    [Fact(Timeout = 30_000)]
    public async Task Two_CMP_aliases_and_another_endpoint_in_one_application()
    {
        var ct = TestContext.Current.CancellationToken;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var app = builder.Build();
        var a = new CmpServer(new MockCaOptions { SrvSecret = Encoding.UTF8.GetBytes("a") });
        var b = new CmpServer(new MockCaOptions { SrvSecret = Encoding.UTF8.GetBytes("b") });
        app.MapCmp("/.well-known/cmp/p/a", a);
        app.MapCmp("/.well-known/cmp/p/b", b);
        app.MapGet("/health", () => "ok");
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri(address) };

        foreach (var path in new[] { "/.well-known/cmp/p/a", "/.well-known/cmp/p/b" })
        {
            using var content = new ByteArrayContent([0x30, 0x00]);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/pkixcmp");
            using var response = await http.PostAsync(path, content, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Equal("ok", await http.GetStringAsync("/health", ct));
        Assert.Equal(1, a.MessageCount);
        Assert.Equal(1, b.MessageCount);
        await app.StopAsync(ct);
    }
}
