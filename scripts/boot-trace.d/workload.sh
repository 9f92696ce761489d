# The workload /init runs after boot (busybox sh). Output goes to the console.
echo "workload: start"
mount -t tmpfs -o size=64m tmpfs /tmp
find / -xdev | wc -l
find /proc/self/ -maxdepth 1 | wc -l
dd if=/dev/urandom of=/tmp/x bs=64k count=64
od -An -tx1 /tmp/x | head -n 20000 > /tmp/t
sort /tmp/t > /tmp/s
sort -u -r /tmp/t | wc -l
gzip -c /tmp/x > /tmp/x.gz
gunzip -c /tmp/x.gz | md5sum
md5sum /tmp/x /tmp/s
sha256sum /tmp/t
mkdir -p /tmp/d/e
cp /tmp/s /tmp/d/e/s
ln -s e/s /tmp/d/l
mv /tmp/d/e/s /tmp/d/e/s2
tar -cf /tmp/d.tar -C /tmp d
tar -tvf /tmp/d.tar
rm -r /tmp/d
ls -lR /proc/self > /dev/null
ps
cat /proc/meminfo
cat /proc/cpuinfo > /dev/null
uname -a
date
sleep 0.2
echo abc | sed s/b/x/ | grep x | awk '{print length($0)}'
df
free
umount /tmp
echo "workload: done"
