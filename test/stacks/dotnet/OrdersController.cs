// The program orders-exception.txt is the text of: an ASP.NET Core action whose exception
// .NET's Activity.AddException records as ex.ToString(). No .NET runtime is installed here,
// so that text was written by hand from the runtime's source (Exception.ToString in
// System.Private.CoreLib: " ---> " before the inner exception, "   --- End of inner exception
// stack trace ---" after it, frames as "   at Method(Args) in File:line N"), not printed by it.
namespace Shop;

public class OrdersController : ControllerBase
{
    private static readonly Dictionary<string, int> Prices = new() { ["WINTER"] = 10 };

    private static int PriceOf(string item)
    {
        return Prices[item]; // raises: KeyNotFoundException
    }

    [HttpGet("/orders/{id}")]
    public int Get(int id)
    {
        try
        {
            return PriceOf("SPRING");
        }
        catch (KeyNotFoundException e)
        {
            throw new InvalidOperationException($"cannot price order {id}", e); // raises: InvalidOperationException
        }
    }
}
