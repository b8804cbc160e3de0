using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

public class Digest
{
    public static byte[] Hash(string text)
    {
        var md5 = new MD5CryptoServiceProvider();
        return md5.ComputeHash(Encoding.UTF8.GetBytes(text));
    }

    public static void Run(string command)
    {
        Process.Start(command);
    }
}
