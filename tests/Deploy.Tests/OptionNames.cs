using System.Collections;
using System.Reflection;
using Edge.ControlPlane.Configuration;
using Edge.EdgeServer.Configuration;

namespace Edge.Deploy.Tests;

/// <summary>
/// Environment variables in deployment files name real options: the configuration binder ignores unknown keys,
/// so a misspelt <c>Edge__OrginUrl</c> would otherwise pass unnoticed.
/// </summary>
internal static class OptionNames
{
    public static void AssertNamesAnOption(string variable)
    {
        var path = variable.Split("__");
        switch (path[0])
        {
            case "Edge":
                Assert.True(IsOption(typeof(EdgeOptions), path[1..]), variable + " names no edge option");
                break;
            case "ControlPlane":
                Assert.True(IsOption(typeof(ControlPlaneOptions), path[1..]), variable + " names no control-plane option");
                break;
            default:
                Assert.Equal("ASPNETCORE_URLS", variable);
                break;
        }
    }

    // A configuration path names an option when each segment is a property, or an index into a list option.
    private static bool IsOption(Type type, string[] path)
    {
        if (path.Length == 0)
        {
            return true;
        }

        var property = type.GetProperty(path[0], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
        if (property is null)
        {
            return false;
        }

        var rest = path[1..];
        if (property.PropertyType != typeof(string) && typeof(IEnumerable).IsAssignableFrom(property.PropertyType))
        {
            return rest.Length == 1;
        }

        return property.PropertyType.IsClass && property.PropertyType != typeof(string) ? IsOption(property.PropertyType, rest) : rest.Length == 0;
    }
}
