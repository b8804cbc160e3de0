using System.Security.Cryptography;
using System.Text;

public class Digest
{
    public static byte[] Hash(string text)
    {
        using var sha = SHA256.Create();
        return sha.ComputeHash(Encoding.UTF8.GetBytes(text));
    }
}
